// The vocabulary of "Free Disk Space…": what a scan lists and what a delete did.

export type DiskItemKind = 'log' | 'cache' | 'node_modules' | 'npm-cache' | 'report';

/** A running process holding a file open (its space returns only when it closes the file). */
export interface OpenHolder {
  readonly pid: number;
  readonly command: string;
}

export interface DiskItem {
  /** Absolute path with no symbolic link in it. */
  readonly path: string;
  /** The scanned root it was found under (real path). */
  readonly root: string;
  readonly kind: DiskItemKind;
  /** What it is: '.next/cache', 'node_modules/.vite', 'log', 'npm cache'… */
  readonly label: string;
  /** Allocated bytes (blocks × 512), every hard-linked file counted once per scan. */
  readonly bytes: number;
  readonly files: number;
  /** Newest modification inside (for node_modules: the last install or package.json change), epoch ms. */
  readonly lastUsed: number;
  /** Identity at scan time: deletion refuses a path that is no longer this very file or folder. */
  readonly dev: number;
  readonly ino: number;
  /** Mount points found inside (other devices and bind mounts), not counted and never entered. */
  readonly otherFilesystems: readonly string[];
  /** Logs only: processes that had it open at scan time (deleting it would free nothing until they close it). */
  readonly heldOpenBy?: readonly OpenHolder[];
}

export interface DiskScanProgress {
  readonly scannedEntries: number;
  readonly scannedDirs: number;
  readonly foundBytes: number;
  readonly currentPath: string;
}

/** What VS Code's CancellationToken offers. */
export interface CancelToken {
  readonly isCancellationRequested: boolean;
}

export interface DiskScanOptions {
  /** Log files at least this big are listed (default 10 MB). */
  readonly largeLogBytes?: number;
  /** node_modules of a project untouched for this many days are listed; null/undefined: never. */
  readonly staleNodeModulesDays?: number | null;
  readonly includeNpmCache?: boolean;
  /** Where npm keeps its cache (default: $npm_config_cache, else ~/.npm or %LocalAppData%\npm-cache). */
  readonly npmCacheDir?: string;
  /** Folders of our own saved reports; only our report files in them are listed (by name and content). */
  readonly reportDirs?: readonly string[];
  readonly signal?: AbortSignal;
  readonly token?: CancelToken;
  /** Called at most every 100 ms while scanning. */
  readonly onProgress?: (p: DiskScanProgress) => void;
  /** Stop after looking at this many directory entries (default 2 000 000). */
  readonly maxEntries?: number;
  readonly now?: number;
}

export interface DiskScan {
  /** Biggest first. */
  readonly items: readonly DiskItem[];
  readonly totalBytes: number;
  readonly byKind: Readonly<Record<DiskItemKind, { count: number; bytes: number }>>;
  readonly scannedEntries: number;
  readonly cancelled: boolean;
  /** Stopped at maxEntries: the lists are incomplete. */
  readonly truncated: boolean;
  readonly warnings: readonly string[];
  readonly elapsedMs: number;
}

export interface DeleteOptions {
  /**
   * Moves a path to the trash; resolves false only when there is no trash. A failure with a reason throws, and the
   * item is skipped with that reason (code 'error'). null: delete permanently.
   */
  readonly toTrash: ((p: string) => Promise<boolean>) | null;
  /** Logs held open by a running process are truncated to 0 bytes instead of skipped (the user consented). */
  readonly truncateOpenLogs?: boolean;
  readonly signal?: AbortSignal;
  readonly token?: CancelToken;
}

export type SkipCode = 'not-listed' | 'changed' | 'no-trash' | 'mount-inside' | 'held-open' | 'cancelled' | 'error';

export interface DiskUse {
  /** A root of the deleted items, standing for its file system. */
  readonly path: string;
  readonly totalBytes: number;
  readonly freeBytes: number;
  readonly usedPercent: number;
}

export interface DeletedItem {
  readonly path: string;
  readonly bytes: number;
  readonly trashed: boolean;
  /** A log held open by a running process, emptied in place (the process keeps writing to it). */
  readonly truncated?: boolean;
  /** Mount points and anything else inside that was left alone (the rest is gone). */
  readonly leftBehind: readonly string[];
}

export interface DeleteResult {
  readonly deleted: readonly DeletedItem[];
  /** Not deleted (or not completely), with the reason in words. */
  readonly skipped: readonly { path: string; code: SkipCode; reason: string }[];
  /**
   * Bytes freed for good, measured: free space (statfs) after minus before, per file system, capped at listedBytes so
   * that space another program freed meanwhile is never claimed (other writers can make it lower). A deleted file a
   * process still holds open frees nothing, and is not counted.
   */
  readonly freedBytes: number;
  /** What the scan had listed for the items deleted for good (for comparison with freedBytes). */
  readonly listedBytes: number;
  /** Bytes moved to the trash (freed only once the trash is emptied). */
  readonly trashedBytes: number;
  /** The file systems' use after deleting (statfs). */
  readonly disks: readonly DiskUse[];
}
