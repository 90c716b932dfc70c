import type { Snapshot } from '../core/types';

/** The highest memory each server was seen using since activation (for sizing a heap limit). */
export class PeakMemory {
  private readonly peaks = new Map<string, number>();

  update(s: Snapshot): void {
    for (const v of s.servers) {
      if (v.state === 'down') continue;
      const main = v.processes.find((p) => p.pid === v.heapPid);
      const rss = main?.rssBytes ?? v.rssBytes;
      if (rss > (this.peaks.get(v.id) ?? 0)) this.peaks.set(v.id, rss);
    }
  }

  peakOf(serverId: string): number {
    return this.peaks.get(serverId) ?? 0;
  }
}
