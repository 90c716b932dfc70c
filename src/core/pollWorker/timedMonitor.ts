// The Monitor a poller runs (in the worker thread or inline): it counts inotify watches, and its probe notes when
// each sample starts, so the poll's wall time (sample and snapshot) can be measured when the snapshot arrives.
import { performance } from 'node:perf_hooks';
import { Monitor, type MonitorOptions } from '../monitor';

export interface TimedMonitor {
  readonly monitor: Monitor;
  /** performance.now() when the latest sample started; 0 before the first. */
  sampleStartedAt(): number;
}

export function timedMonitor(opts: Omit<MonitorOptions, 'countInotifyWatches'>): TimedMonitor {
  let sampleStart = 0;
  const { probe } = opts;
  const monitor = new Monitor({
    ...opts,
    probe: {
      sample: (o) => {
        sampleStart = performance.now();
        return probe.sample(o);
      },
      readEnviron: (pid) => probe.readEnviron(pid),
      readCgroup: (pid) => probe.readCgroup(pid),
    },
    countInotifyWatches: true,
  });
  return { monitor, sampleStartedAt: () => sampleStart };
}
