// What counts as "no trash" in VS Code's errors (the exact messages of its file service, vs/platform/files/common/fileService.ts
// and the desktop disk provider), and how a failure's reason is worded.
import * as assert from 'node:assert/strict';
import { isNoTrashError, trashErrorReason } from '../../src/vscode/trash';

describe('trash errors', () => {
  it('only the file service\'s "provider does not support" refusal means there is no trash', () => {
    assert.ok(isNoTrashError(new Error("Unable to delete file '/ws/.vite' via trash because provider does not support it.")));
    for (const m of [
      "Failed to move '/ws/.vite' to the trash (EACCES: permission denied)",
      "Unable to delete non-existing file '/ws/.vite'",
      "Unable to delete file '/ws/.vite' atomically because provider does not support it.",
      'EXDEV: cross-device link not permitted',
    ]) assert.ok(!isNoTrashError(new Error(m)), m);
  });

  it('keeps the real reason, with the error code when the message lacks it', () => {
    assert.equal(trashErrorReason(Object.assign(new Error('Failed to move it to the trash'), { code: 'EACCES' })), 'Failed to move it to the trash (EACCES)');
    assert.equal(trashErrorReason(Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' })), 'EACCES: permission denied');
    assert.equal(trashErrorReason('plain'), 'plain');
  });
});
