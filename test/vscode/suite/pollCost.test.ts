// The poll's cost on the extension host's main thread, inside a real VS Code: the figure the README's cost section
// quotes (bench/vscode.mjs runs this file alone, with and without 1,000 extra processes, and reads DSD_BENCH_OUT).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { DevServerDoctorApi } from '../../../src/extension';

const EXTENSION_ID = 'dev-server-doctor.dev-server-doctor';

/** CPU time of one thread of this process, in ms (schedstat: nanoseconds on CPU). */
function threadCpuMs(tid: number): number {
  return Number(fs.readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
}

function processCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

describe('poll cost in the extension host', function () {
  it('measures activation and the main thread\'s CPU per poll (the poll runs in a worker thread)', async function () {
    if (process.platform !== 'linux') this.skip();
    const polls = process.env.DSD_BENCH_OUT ? 10 : 3;
    this.timeout(polls * 15_000 + 30_000);
    const ext = vscode.extensions.getExtension<DevServerDoctorApi>(EXTENSION_ID)!;
    const api = await ext.activate();
    const { activateMs } = api.activationTimes();
    await new Promise<void>((resolve) => { if (api.snapshot()) resolve(); else api.onDidUpdate(() => resolve()); });
    const { firstRenderMs } = api.activationTimes();
    assert.ok(activateMs > 0 && firstRenderMs !== null && firstRenderMs >= activateMs, `${activateMs} / ${firstRenderMs}`);
    // The main thread of a Node process has tid = pid.
    const tid = process.pid;
    const threads = fs.readdirSync('/proc/self/task').length;
    await new Promise<void>((resolve) => { const d = api.onDidUpdate(() => { d.dispose(); resolve(); }); });
    const main0 = threadCpuMs(tid);
    const all0 = processCpuMs();
    const t0 = Date.now();
    let seen = 0;
    await new Promise<void>((resolve) => {
      const d = api.onDidUpdate(() => { if (++seen === polls) { d.dispose(); resolve(); } });
    });
    const wallMs = Date.now() - t0;
    const mainMs = threadCpuMs(tid) - main0;
    const allMs = processCpuMs() - all0;
    const procs = fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n)).length;
    const result = {
      processes: procs, threads, polls: seen, wallMs,
      mainMsPerPoll: mainMs / seen, mainMsPer2s: (mainMs / wallMs) * 2000, allThreadsMsPerPoll: allMs / seen,
      activateMs, firstRenderMs, vscode: vscode.version,
    };
    console.log(`[poll cost] ${JSON.stringify(result)}`);
    if (process.env.DSD_BENCH_OUT) fs.writeFileSync(process.env.DSD_BENCH_OUT, JSON.stringify(result, null, 2));
    assert.ok(seen === polls && mainMs >= 0);
  });
});
