// The few parts of the `vscode` API that src/vscode/refreshManager.ts touches, so benches can run the real
// RefreshManager in plain Node. Events never fire (nothing changes settings or folders during a bench).
const path = require('node:path');
const Module = require('node:module');

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

/** Makes `require('vscode')` return the shim; `setFolders` chooses the workspace folders. */
function install(workspaceFolders) {
  if (workspaceFolders) folders = workspaceFolders;
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (request, ...rest) {
    return request === 'vscode' ? __filename : resolve.call(this, request, ...rest);
  };
}

const log = { trace() {}, debug() {}, info() {}, warn: (m) => console.error(`[warn] ${m}`), error: (m) => console.error(`[error] ${m}`) };

module.exports = Object.assign(vscode, { install, log });
