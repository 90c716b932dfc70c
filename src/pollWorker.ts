// Entry of dist/pollWorker.js: the monitor's poll, in a worker thread started by the extension's RefreshManager.
import { parentPort, workerData } from 'node:worker_threads';
import type { PollWorkerData } from './core/pollWorker/protocol';
import { runPollWorker } from './core/pollWorker/worker';

if (!parentPort) throw new Error('pollWorker.js runs as a worker thread only');
runPollWorker(parentPort, workerData as PollWorkerData);
