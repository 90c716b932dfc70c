// The few parts of the `vscode` API that src/vscode/refreshManager.ts touches, so benches can run the real
// RefreshManager in plain Node. Events never fire (nothing changes settings or folders during a bench).
import Module, { createRequire } from 'node:module';
import * as path from 'node:path';

class Disposable {
  constructor(fn) { this.fn = fn; }
  static from(...ds) { return new Disposable(() => ds.forEach((d) => d?.dispose?.())); }
  dispose() { this.fn?.(); this.fn = undefined; }
}

class EventEmitter {
  constructor() {
    this.listeners = new Set();
    this.event = (l) => { this.listeners.add(l); return new Disposable(() => this.listeners.delete(l)); };
  }
  fire(v) { for (const l of [...this.listeners]) l(v); }
  dispose() { this.listeners.clear(); }
}

const never = () => new Disposable();
let folders = [process.cwd()];

const vscode = {
  Disposable,
  EventEmitter,
  Uri: { file: (p) => ({ scheme: 'file', fsPath: p }) },
  workspace: {
    get workspaceFolders() { return folders.map((f, index) => ({ index, name: path.basename(f), uri: { scheme: 'file', fsPath: f } })); },
    getConfiguration: () => ({ get: (_key, fallback) => fallback }),
    onDidChangeConfiguration: never,
    onDidChangeWorkspaceFolders: never,
    createFileSystemWatcher: () => ({ onDidChange: never, onDidCreate: never, onDidDelete: never, dispose() {} }),
  },
  window: {
    onDidChangeWindowState: never,
    onDidOpenTerminal: never,
    onDidStartTerminalShellExecution: never,
  },
  tasks: { onDidStartTaskProcess: never },
};

/** Makes `require('vscode')` in CommonJS modules return the stand-in, with these workspace folders. */
export function installVscodeShim(workspaceFolders) {
  folders = workspaceFolders;
  const fake = path.join(path.dirname(new URL(import.meta.url).pathname), '__vscode__.js');
  const mod = new Module(fake);
  mod.exports = vscode;
  mod.loaded = true;
  createRequire(import.meta.url).cache[fake] = mod;
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (request, ...rest) {
    return request === 'vscode' ? fake : resolve.call(this, request, ...rest);
  };
}

/** A LogOutputChannel that only says warnings and errors. */
export const benchLog = { trace() {}, debug() {}, info() {}, warn: (m) => console.error(`[warn] ${m}`), error: (m) => console.error(`[error] ${m}`) };
