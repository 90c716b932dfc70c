// What a server's row and tooltip say: every memory number labelled (RSS of the tree vs. its node process, the heap
// limit and its source), the limit as the resolver gave it, heap used never made up from RSS.
import * as assert from 'node:assert/strict';
import { heapLimitFromArgs } from '../../src/core/heapLimit';
import { memoryRows, rowBytes, rowHeap, serverDescription } from '../../src/core/serverRow';
import { serverLine } from '../../src/cli/status';
import type { Server, ServerProcess } from '../../src/core/types';

const MB = 1024 * 1024;
const proc = (pid: number, comm: string, rss: number, ports: number[] = []): ServerProcess => ({
  pid, ppid: pid - 1, state: 'S', zombie: false, comm, command: comm, cwd: '/w', rssBytes: rss * MB, startTimeMs: 0, ports, depth: 0,
});

function server(over: Partial<Server>): Server {
  const processes = [proc(200, 'npm run dev', 52), proc(201, 'sh', 3), proc(202, 'node', 144, [4000])];
  // The limit comes from the resolver, as the snapshot gives it: node --max-old-space-size=128 server.js.
  const limit = heapLimitFromArgs(['node', '--max-old-space-size=128', 'server.js'], {}, 8 * 1024 * MB);
  return {
    id: '/w#dev', name: 'catalog', workspaceFolder: '/w', cwd: '/w', script: 'dev', command: 'node --max-old-space-size=128 server.js',
    framework: 'node', state: 'up', pid: 200, pids: [200, 201, 202], ports: [4000], expectedPort: 4000, rssBytes: 199 * MB,
    heapLimitBytes: limit.bytes, heapLimitSource: limit.source, heapPid: 202, startTimeMs: 0, processes, zombiePids: [], source: 'package.json', cgroup: null, ...over,
  };
}

describe('server rows: memory numbers labelled for what they are', () => {
  it('a set heap limit and the tree\'s RSS, each named, on the row', () => {
    assert.equal(serverDescription(server({})), ':4000 · heap limit 128 MB · RSS 200 MB · pid 200');
    assert.equal(rowHeap(server({})), 'heap limit 128 MB');
  });

  it('V8\'s default limit stays off the row (the tooltip says it); a down server says only that it is down', () => {
    const dflt = heapLimitFromArgs(['node', 'server.js'], {}, 8 * 1024 * MB);
    assert.equal(serverDescription(server({ heapLimitBytes: dflt.bytes, heapLimitSource: dflt.source })), ':4000 · RSS 200 MB · pid 200');
    assert.equal(serverDescription(server({ state: 'down', pid: null, pids: [], ports: [], processes: [], heapLimitBytes: null, heapLimitSource: null, heapPid: null })), ':4000 · down');
    assert.equal(serverDescription(server({ state: 'starting', ports: [] })), ':4000 · heap limit 128 MB · RSS 200 MB · pid 200 · starting');
  });

  it('the tooltip tells the whole tree\'s RSS from the node process\'s, the limit\'s source, and that heap used is not measured', () => {
    const rows = Object.fromEntries(memoryRows(server({})));
    assert.equal(rows['RSS (whole tree)'], '199 MB in 3 processes (npm run dev + sh + node)');
    assert.equal(rows['RSS (node process)'], '144 MB (PID 202, the one the heap limit belongs to)');
    assert.equal(rows['Heap limit'], '128 MB (--max-old-space-size)');
    assert.match(rows['Heap used']!, /^not measured while it runs/);
    const fromEnv = heapLimitFromArgs(['node', 'server.js'], { NODE_OPTIONS: '--max-old-space-size=256' }, 8 * 1024 * MB);
    const single = Object.fromEntries(memoryRows(server({ processes: [proc(202, 'node', 144, [4000])], pids: [202], pid: 202, rssBytes: 144 * MB, heapLimitBytes: fromEnv.bytes, heapLimitSource: fromEnv.source })));
    assert.equal(single['RSS (whole tree)'], '144 MB');
    assert.equal(single['RSS (node process)'], undefined, 'one process: its RSS is the tree\'s');
    assert.equal(single['Heap limit'], '256 MB (NODE_OPTIONS)');
  });

  it('the CLI\'s status line labels RSS and the heap limit too', () => {
    assert.match(serverLine(server({}), 0), /catalog {2}:4000 {2}pid 200 {2}RSS 199 MB {2}heap limit 128 MB \(flag\)/);
  });

  it('rowBytes keeps two significant figures', () => {
    assert.deepEqual([rowBytes(199 * MB), rowBytes(0)], ['200 MB', '0 B']);
  });
});
