// The poll worker's body: a Monitor with the system probe, run off the extension host's main thread. Its
// synchronous /proc reads block only this thread; the main thread gets each finished snapshot and its events.
import { performance } from 'node:perf_hooks';
import { editorProcessIds } from '../history/sampleJournal';
import type { Monitor, MonitorEvent } from '../monitor';
import { learnedSecretValues } from '../redact';
import { createProbe } from '../system/probe';
import type { SystemProbe, WorkspaceScan } from '../types';
import type { FromWorker, PollWorkerData, ToWorker } from './protocol';
import { timedMonitor } from './timedMonitor';

/** The parts of worker_threads' parentPort used here (a MessagePort in tests). */
export interface WorkerPort {
  postMessage(message: FromWorker): void;
  on(event: 'message', listener: (message: ToWorker) => void): unknown;
}

export function runPollWorker(port: WorkerPort, data: PollWorkerData, probe: SystemProbe = createProbe()): Monitor {
  const { monitor, sampleStartedAt } = timedMonitor({
    probe,
    workspaceFolders: data.workspaceFolders,
    settings: data.settings,
    selfPid: data.selfPid,
    previous: data.previous,
  });
  let events: MonitorEvent[] = [];
  let sentScan: WorkspaceScan | null = null;
  /** Why the last snapshot could not be sent (a field structured clone refuses, such as a function). */
  let sendError: string | null = null;
  /** How many of the learned secret values the main thread has. */
  let secretsSent = 0;
  monitor.onEvent((e) => events.push(e));
  monitor.onSnapshot((snapshot) => {
    const scan = monitor.workspaceScan;
    const changed = scan !== null && scan !== sentScan;
    const secrets = learnedSecretValues(secretsSent);
    try {
      port.postMessage({ type: 'snapshot', snapshot, events, ...(changed ? { scan } : {}), ...(secrets.length ? { secrets } : {}), pollMs: performance.now() - sampleStartedAt() });
      if (changed) sentScan = scan;
      secretsSent += secrets.length;
      sendError = null;
    } catch (err) {
      sendError = `the snapshot could not be sent to the main thread (${err instanceof Error ? err.message : String(err)})`;
    }
    events = [];
  });
  port.on('message', (m) => {
    if (m.type === 'update') monitor.update({ workspaceFolders: m.workspaceFolders, settings: m.settings });
    else if (m.type === 'rescan') monitor.rescan();
    else if (m.type === 'editorPids') port.postMessage({ type: 'editorPids', id: m.id, pids: editorProcessIds(data.selfPid) });
    else if (m.type === 'poll') {
      monitor.pollOnce().then(
        () => port.postMessage(sendError === null ? { type: 'polled', id: m.id } : { type: 'polled', id: m.id, error: sendError }),
        (err: unknown) => port.postMessage({ type: 'polled', id: m.id, error: err instanceof Error ? err.message : String(err) }),
      );
    }
  });
  return monitor;
}
