import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EXTENSION_ID } from './helpers';

describe('smoke', () => {
  it('the extension is installed and activates', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not among ${vscode.extensions.all.length} extensions`);
    await ext.activate();
    assert.equal(ext.isActive, true);
  });

  it('runs in a VS Code the manifest allows (1.100 under code-server)', () => {
    if (process.env.DSD_TEST_HOST === 'code-server') {
      assert.match(vscode.version, /^1\.100\./);
    } else {
      // Desktop runs get whatever VS Code was downloaded; it must still satisfy engines.vscode ^1.93.
      const [major, minor] = vscode.version.split('.').map(Number);
      assert.ok(major === 1 && minor >= 93, `VS Code ${vscode.version} is older than engines.vscode ^1.93.0`);
    }
  });

  it('opened the fixture workspace', () => {
    const expected = process.env.DSD_TEST_WORKSPACE;
    assert.ok(expected, 'DSD_TEST_WORKSPACE is not set in the extension host');
    const folders = vscode.workspace.workspaceFolders ?? [];
    assert.deepEqual(folders.map((f) => path.resolve(f.uri.fsPath)), [path.resolve(expected)]);
  });

  // code-server searches with ripgrep; without it findFiles and glob activation events fail.
  it('can search the workspace for package.json files', async () => {
    const found = await vscode.workspace.findFiles('**/package.json', '**/node_modules/**');
    const relative = found.map((u) => vscode.workspace.asRelativePath(u, false)).sort();
    assert.deepEqual(relative, ['package.json', 'packages/api/package.json']);
  });
});
