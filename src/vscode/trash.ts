// Telling "this platform has no trash" from "moving to the trash failed" in what VS Code's file service throws.
// Pure (no vscode import), so it is tested on the exact messages VS Code produces.

/**
 * VS Code's file service refuses `useTrash` on a provider without the Trash capability (remote and web hosts, such as
 * code-server) with: "Unable to delete file '…' via trash because provider does not support it." That, and only that,
 * means there is no trash; any other error (permission denied, "Failed to move '…' to the trash (…)") is a real failure
 * whose reason the user must see, and never a reason to delete for good.
 */
export function isNoTrashError(err: unknown): boolean {
  const message = err instanceof Error ? err.message : String(err);
  return /via trash because provider does not support it/i.test(message);
}

/** The reason in an error, for a sentence: "moving it to the trash failed: <reason>". */
export function trashErrorReason(err: unknown): string {
  const e = err as { message?: unknown; code?: unknown };
  const message = typeof e?.message === 'string' && e.message ? e.message : String(err);
  return typeof e?.code === 'string' && e.code && !message.includes(e.code) ? `${message} (${e.code})` : message;
}
