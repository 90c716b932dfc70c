// "Free Disk Space…": scan.ts lists what could go (classify.ts decides what counts, openFiles.ts who holds a log
// open), delete.ts removes only what was listed (safeRemove.ts: through directory handles, never across a mount).
export { scanDiskCandidates } from './scan';
export { deletePaths } from './delete';
export { diskChoices, FRESH_REPORT_MS, type DiskChoice } from './choices';
export type * from './types';
