// What a remedy did, in words: the sentences the CLI prints and VS Code shows come from here, so both
// say the same thing the same way ("Stopped 3 processes", "1 file", never "1 files").
// A terminal prints a full report (one fact per line); a notification joins the same sentences on one line.
import { count, formatBytes, joinAnd } from '../format';
import type { DeleteResult, DiskScan, DiskUse } from './disk';
import type { KillResult } from './kill';

/** "port 5173", "ports 5173 and 5174". */
export function portsPhrase(ports: readonly number[]): string {
  return `${ports.length === 1 ? 'port' : 'ports'} ${joinAnd(ports)}`;
}

/** "PID 42", "PIDs 42 and 43". */
export function pidsPhrase(pids: readonly number[]): string {
  return `${pids.length === 1 ? 'PID' : 'PIDs'} ${joinAnd(pids)}`;
}

export const processes = (n: number): string => count(n, 'process', 'processes');

// ---- stopping process trees ----

/** Nothing found to stop. */
export const NOTHING_TO_STOP = 'No orphaned, duplicate or stuck dev processes found.';

/** "2 process trees could be stopped:". */
export function candidatesHeadline(n: number): string {
  return n === 0 ? NOTHING_TO_STOP : `${count(n, 'process tree')} could be stopped:`;
}

/**
 * The headline, in the terminal and in a notification alike: "Stopped 1 process, freeing 30 MB of memory
 * and port 5173.", "Stopped 3 processes, freeing ports 3000 and 3001.", "Stopped 1 process."
 */
export function stoppedSentence(r: KillResult): string {
  const freed = [r.freedBytes > 0 ? `${formatBytes(r.freedBytes)} of memory` : '', r.freedPorts.length ? portsPhrase(r.freedPorts) : ''].filter(Boolean);
  return `Stopped ${processes(r.killed.length)}${freed.length ? `, freeing ${joinAnd(freed)}` : ''}.`;
}

/** Worth knowing, not a failure: who needed SIGKILL. */
export function killNotes(r: KillResult): string[] {
  return r.escalated.length ? [`${pidsPhrase(r.escalated)} ignored SIGTERM and got SIGKILL.`] : [];
}

/** What did not work: errors, survivors, ports still taken. Empty when the kill did all it should. */
export function killProblems(r: KillResult): string[] {
  return [
    ...r.errors.map((e) => e.message),
    ...(r.survivors.length ? [`${pidsPhrase(r.survivors)} ${r.survivors.length === 1 ? 'is' : 'are'} still running after SIGKILL.`] : []),
    ...r.stillHeldPorts.map((p) => `Port ${p.port} is still in use${p.pid !== null ? ` by PID ${p.pid}` : ''}.`),
  ];
}

/** The whole report for a terminal, one fact per line. */
export function killReport(r: KillResult): string[] {
  return [stoppedSentence(r), ...killNotes(r), ...killProblems(r), ...r.warnings];
}

// ---- deleting files ----

/** Nothing found to delete. */
export const NOTHING_TO_FREE = 'Nothing to clean up found.';

/** "1.2 GB could be freed in 3 places:" (nothing found: NOTHING_TO_FREE). */
export function scanHeadline(scan: DiskScan): string {
  return scan.items.length === 0 ? NOTHING_TO_FREE : `${formatBytes(scan.totalBytes)} could be freed in ${count(scan.items.length, 'place')}:`;
}

/** "disk now 81% used, 5.2 GB free". */
export function diskNow(d: DiskUse): string {
  return `disk now ${d.usedPercent}% used, ${formatBytes(d.freeBytes)} free`;
}

/**
 * The headline, in the terminal and in a notification alike: "Deleted 2 of 3, freeing 1.2 GB (measured on the
 * disk).", "Moved 1 of 1 to the trash (30 MB, freed once it is emptied).", "Of 2 items, nothing was deleted."
 */
export function deletedSentence(r: DeleteResult, listed: number): string {
  const truncated = r.deleted.filter((d) => d.truncated).length;
  const trashed = r.deleted.filter((d) => d.trashed && !d.truncated).length;
  const removed = r.deleted.length - truncated - trashed;
  if (r.deleted.length === 0) return `Of ${count(listed, 'item')}, nothing was deleted.`;
  const done = [
    removed || (!trashed && !truncated) ? `deleted ${removed} of ${listed}` : '',
    trashed ? `moved ${trashed}${removed ? '' : ` of ${listed}`} to the trash` : '',
    truncated ? `emptied ${count(truncated, 'open log')}` : '',
  ].filter(Boolean);
  const head = joinAnd(done);
  // What deleting or emptying freed is always said, measured (0 B too); the trash frees nothing yet.
  const freed = removed || truncated ? `, freeing ${formatBytes(r.freedBytes)} (measured on the disk)` : '';
  const binned = r.trashedBytes > 0 ? ` (${formatBytes(r.trashedBytes)} in the trash, freed once it is emptied)` : '';
  return `${head[0]!.toUpperCase()}${head.slice(1)}${freed}${binned}.`;
}

/** What was not deleted, and why; mounts left alone inside deleted folders. */
export function deleteProblems(r: DeleteResult): string[] {
  return [
    ...r.skipped.map((s) => `Not deleted: ${s.path}: ${s.reason}.`),
    ...r.deleted.filter((d) => d.leftBehind.length > 0).map((d) => `Left alone inside ${d.path}: ${joinAnd(d.leftBehind)} (another file system).`),
  ];
}

/** The whole report, one fact per line (a notification joins them). */
export function deleteReport(r: DeleteResult, listed: number): string[] {
  return [deletedSentence(r, listed), ...deleteProblems(r), ...r.disks.map((d) => `${d.path}: ${diskNow(d)}.`)];
}
