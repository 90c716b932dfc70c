// `dev-server-doctor mcp`: the doctor as a Model Context Protocol server over stdio (the official SDK), for
// coding agents (Copilot agent mode, Claude Code, Cursor, Cline…). Tools: status, investigate,
// watch_for_crash, list_remedies, apply_remedy. Inputs are validated by schemas; a refusal or failure is a
// tool error the agent can read, never a crash of the server. Nothing but JSON-RPC goes to stdout.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { Doctor, DoctorError, type DoctorOptions } from '../core/agent/doctor';
import { count, parseDuration, DAY_MS } from '../core/format';
import { REMEDY_IDS, type RemedyArgs } from '../core/remedies/catalogue';
import { redactDeep, redactText } from '../core/redact';
import { UsageError } from './args';
import type { Verb } from './verb';

const VERSION = '0.1.0';
/** watch_for_crash waits at most this long per call (agents call again to keep waiting). */
const MAX_WAIT_S = 600;

type ToolResult = { content: { type: 'text'; text: string }[]; structuredContent?: Record<string, unknown>; isError?: boolean };

function ok(value: unknown): ToolResult {
  const safe = redactDeep(value);
  return {
    content: [{ type: 'text', text: JSON.stringify(safe, null, 2) }],
    ...(safe && typeof safe === 'object' && !Array.isArray(safe) ? { structuredContent: safe as Record<string, unknown> } : {}),
  };
}

/** Invalid input is a protocol error (InvalidParams); a refusal or failure is a tool error with the reason. */
async function guarded(run: () => Promise<ToolResult>): Promise<ToolResult> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof McpError) throw err;
    if (err instanceof DoctorError && err.code === 'invalid') throw new McpError(ErrorCode.InvalidParams, redactText(err.message));
    const message = redactText(err instanceof Error ? err.message : String(err));
    return { content: [{ type: 'text', text: message }], isError: true };
  }
}

/** The MCP server with the doctor's tools registered (not yet connected). */
export function createMcpServer(opts: DoctorOptions): McpServer {
  const doctor = new Doctor(opts);
  const server = new McpServer({ name: 'dev-server-doctor', version: VERSION }, {
    instructions: 'Use these tools when a local dev server (npm run dev, vite, next dev, nodemon…) of this workspace stopped, '
      + 'crashed, will not start, or its port is taken: status shows the servers, investigate says why one died with evidence '
      + 'and ranked remedies, watch_for_crash waits for the next crash after you start a server, list_remedies is a dry run, '
      + 'apply_remedy applies one (re-checked; destructive ones need the user\'s --allow-remedies).',
  });

  server.registerTool('status', {
    title: 'Dev server status',
    description: 'The workspace\'s dev servers (state up/starting/down/orphaned, pid, ports, memory, heap limit), the machine\'s memory, disks and watcher limit, and alerts. Use first when a dev server seems down or slow.',
    inputSchema: {},
    annotations: { readOnlyHint: true, openWorldHint: false },
  }, () => guarded(async () => ok(await doctor.status())));

  server.registerTool('investigate', {
    title: 'Why did the dev server die?',
    description: 'Investigates recent crashes (kernel OOM kills, V8 heap limit, port in use, missing module, uncaught exception, disk full, watcher limit…) with quoted evidence and ranked remedies. Use when a dev server stopped responding or exited.',
    inputSchema: { since: z.string().optional().describe('How far back to look: 30m, 24h, 7d (default 24h).') },
    annotations: { readOnlyHint: true, openWorldHint: false },
  }, ({ since }) => guarded(async () => {
    const sinceMs = since === undefined ? DAY_MS : parseDuration(since);
    if (sinceMs === null) throw new DoctorError(`since must be a duration such as 30m, 24h or 7d, not "${since}".`, 'invalid');
    return ok(await doctor.investigate(sinceMs));
  }));

  server.registerTool('watch_for_crash', {
    title: 'Wait for the next crash',
    description: 'Waits up to timeoutSeconds for the next crash verdict (of the named server, when given) and returns it, or {"verdict": null} when none came. Use right after starting a dev server to learn whether it crashes.',
    inputSchema: {
      server: z.string().optional().describe('A server name (or part of it) as status lists it.'),
      timeoutSeconds: z.number().positive().max(MAX_WAIT_S).optional().describe(`At most ${MAX_WAIT_S} (default 60).`),
    },
    annotations: { readOnlyHint: true, openWorldHint: false },
  }, ({ server: name, timeoutSeconds }, extra) => guarded(async () => {
    const verdict = await doctor.watchForCrash({ ...(name ? { server: name } : {}), timeoutMs: (timeoutSeconds ?? 60) * 1000, signal: extra.signal });
    return ok({ verdict });
  }));

  server.registerTool('list_remedies', {
    title: 'What the remedies would do (dry run)',
    description: 'A dry run: exactly which process trees kill-zombies / kill-port-holder would stop and which files free-disk would delete now, and which remedies an agent may apply here. Changes nothing.',
    inputSchema: {},
    annotations: { readOnlyHint: true, openWorldHint: false },
  }, () => guarded(async () => ok(await doctor.listRemedies())));

  server.registerTool('apply_remedy', {
    title: 'Apply a remedy',
    description: 'Applies one remedy after re-checking that it acts only on this workspace\'s own processes or files: kill-port-holder {port, pid?}, kill-zombies {pids?}, restart-server / start-server {server}, and, only when the user allowed them with --allow-remedies, destructive ones such as free-disk or kill-process-tree. Returns what changed.',
    inputSchema: {
      id: z.enum(REMEDY_IDS as [string, ...string[]]).describe('The remedy id (list_remedies lists them).'),
      server: z.string().optional(),
      port: z.number().int().min(1).max(65535).optional(),
      pid: z.number().int().positive().optional(),
      pids: z.array(z.number().int().positive()).max(256).optional(),
      path: z.string().optional(),
    },
    annotations: { destructiveHint: true, openWorldHint: false },
  }, ({ id, ...args }) => guarded(async () => {
    const remedyArgs: RemedyArgs = {
      ...(args.server !== undefined ? { server: args.server } : {}),
      ...(args.port !== undefined ? { port: args.port } : {}),
      ...(args.pid !== undefined ? { pid: args.pid } : {}),
      ...(args.pids !== undefined ? { pids: args.pids } : {}),
      ...(args.path !== undefined ? { path: args.path } : {}),
    };
    const outcome = await doctor.applyRemedy(id, remedyArgs);
    return ok(outcome);
  }));

  return server;
}

/** Serves on stdin/stdout until the client closes the pipe. */
export async function serveMcp(opts: DoctorOptions): Promise<void> {
  const server = createMcpServer(opts);
  const transport = new StdioServerTransport();
  await server.connect(transport);
  await new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
  });
  await server.close();
}

/** Parses `--allow-remedies a,b`; unknown ids are a usage error. */
export function parseAllowRemedies(values: readonly string[]): DoctorOptions['allowRemedies'] {
  const ids = values.flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
  const bad = ids.filter((i) => !(REMEDY_IDS as string[]).includes(i));
  if (bad.length) throw new Error(`Unknown ${count(bad.length, 'remedy id').replace(/^\d+ /, '')} for --allow-remedies: ${bad.join(', ')} (known: ${REMEDY_IDS.join(', ')}).`);
  return ids as DoctorOptions['allowRemedies'];
}

/** `mcp`: the MCP server on stdio until the client closes the pipe (stdout carries JSON-RPC only). */
export const mcp: Verb<{ allowRemedies: DoctorOptions['allowRemedies'] }> = {
  name: 'mcp',
  rawOutput: true,
  summary: 'a Model Context Protocol server on stdio for coding agents (status, investigate, watch_for_crash, list_remedies, apply_remedy)',
  flags: [{ name: '--allow-remedies', value: 'ID,ID', repeatable: true, help: 'let agents apply these destructive remedies too (e.g. free-disk,kill-process-tree)' }],
  options(flags) {
    try {
      return { allowRemedies: parseAllowRemedies(flags.values('--allow-remedies')) };
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  },
  async run(args) {
    await serveMcp({ workspaceFolders: args.workspaces, ...(args.allowRemedies ? { allowRemedies: args.allowRemedies } : {}) });
    return 0;
  },
};
