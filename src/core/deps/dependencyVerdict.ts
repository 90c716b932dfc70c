// Words, evidence and remedies of a dependency-refused / dependency-unresolved verdict, from what the
// output said and what the machine says now. Pure.
import * as path from 'node:path';
import type { OutputDetail } from '../crash/output';
import type { CauseId, Evidence } from '../crash/types';
import { remedy, type RemedyRef } from '../remedies/catalogue';
import { redactText } from '../redact';
import type { DependencyContext } from './dependencyContext';

/** `127.0.0.1:5432`, `[::1]:5432`, `db` */
export function endpoint(host: string | null | undefined, port: number | null | undefined): string {
  const h = host ? (host.includes(':') ? `[${host}]` : host) : 'localhost';
  return port ? `${h}:${port}` : h;
}

function where(ctx: DependencyContext | undefined, service: string): string {
  if (!ctx) return '';
  if (ctx.compose) return `; ${service} is the compose service "${ctx.compose.service}" in ${path.basename(ctx.compose.file)}`;
  if (ctx.local) {
    const how = ctx.local.kind === 'homebrew' ? `Homebrew formula ${ctx.local.name}` : ctx.local.kind === 'binary' ? ctx.local.name : `${ctx.local.kind} unit ${ctx.local.name}`;
    return `; ${service} is installed locally (${how})`;
  }
  return `; no compose service or local installation of ${service} was found`;
}

/** Plain words: "api could not connect to postgres at 127.0.0.1:5432: nothing listens on port 5432 now; …". */
export function dependencySummary(who: string, cause: CauseId, od: OutputDetail, ctx: DependencyContext | undefined): string {
  const service = ctx?.service ?? od.service ?? null;
  const name = service ?? 'a service it needs';
  if (cause === 'dependency-unresolved') {
    const host = od.host ?? ctx?.host ?? '?';
    const why = od.errorCode === 'EAI_AGAIN' ? 'the name lookup failed for now (EAI_AGAIN)' : 'no such host (ENOTFOUND)';
    const compose = ctx?.composeHostName && ctx.compose
      ? `: "${host}" is a compose service name, known only inside the compose network${ctx.compose.ports.length ? `; from this machine use localhost:${ctx.compose.ports[0]}` : ''}`
      : where(ctx, service ?? host);
    return `${who} could not reach ${service ? `${service} at ` : ''}host "${host}": ${why}${compose}`;
  }
  const at = endpoint(od.addresses?.length ? od.addresses[od.addresses.length - 1] : od.host ?? ctx?.host, od.port ?? ctx?.port);
  const port = od.port ?? ctx?.port;
  let now = '';
  if (ctx?.listening === 'no') now = `: nothing listens on port ${port} now`;
  else if (ctx?.listening === 'other-address') now = `: port ${port} is served only on ${ctx.listeners.join(', ')}, not on the address it tried`;
  else if (ctx?.listening === 'yes') now = `: something listens on ${ctx.listeners.join(', ')} now (it was not up yet when the server started)`;
  return `${who} could not connect to ${name} at ${at} (connection refused)${now}${service ? where(ctx, service) : ''}`;
}

/** What the socket table, compose files and installation say, as evidence lines. */
export function dependencyEvidence(ctx: DependencyContext | undefined): Evidence[] {
  if (!ctx) return [];
  const out: Evidence[] = [];
  if (ctx.listening !== 'unknown' && ctx.port !== null) {
    out.push({ source: 'socket-table', time: null, text: ctx.listeners.length
      ? `listening on port ${ctx.port} now: ${ctx.listeners.join(', ')}`
      : `nothing listens on port ${ctx.port} now` });
  }
  if (ctx.compose) out.push({ source: 'monitor', time: null, location: ctx.compose.file, text: redactText(`compose service "${ctx.compose.service}"${ctx.compose.ports.length ? ` publishes ${ctx.compose.ports.join(', ')}` : ''} (${ctx.compose.file})`) });
  if (ctx.local) out.push({ source: 'monitor', time: null, text: redactText(`local installation: ${ctx.local.kind} ${ctx.local.name}`) });
  if (ctx.env) out.push({ source: 'monitor', time: null, location: ctx.env.file, text: `${path.basename(ctx.env.file)}:${ctx.env.line} ${ctx.env.key}=${ctx.env.value}` });
  return out;
}

export interface DependencyRemedyServer {
  readonly server?: string | null;
  readonly serverId?: string;
  readonly cwd?: string;
  readonly pid?: number | null;
}

/**
 * Ranked: start the compose service, start the local service, check the connection setting, then
 * wait until the port answers and restart the dev server.
 */
export function dependencyRemedies(cause: CauseId, od: OutputDetail, ctx: DependencyContext | undefined, server: DependencyRemedyServer, canRestart: boolean): RemedyRef[] {
  const out: RemedyRef[] = [];
  const service = ctx?.service ?? od.service ?? null;
  const port = od.port ?? ctx?.port ?? ctx?.compose?.ports[0] ?? null;
  const listening = ctx?.listening === 'yes';
  if (ctx?.compose && !listening && !(cause === 'dependency-unresolved' && ctx.composeHostName && ctx.compose.ports.length === 0)) {
    out.push(remedy('start-dependency', { via: 'compose', service: ctx.compose.service, file: ctx.compose.file, cwd: ctx.compose.dir,
      command: ctx.compose.command, commandV1: ctx.compose.commandV1, ...(port ? { port } : {}) }, `Start the compose service ${ctx.compose.service}`, ctx.compose.command));
  }
  if (ctx?.local && !listening) {
    out.push(remedy('start-dependency', { via: 'local', service, command: ctx.local.command, ...(server.cwd ? { cwd: server.cwd } : {}), ...(port ? { port } : {}) },
      `Start ${service ?? ctx.local.name} (${ctx.local.kind === 'binary' ? path.basename(ctx.local.name) : ctx.local.name})`, ctx.local.command));
  }
  if (ctx?.env) {
    out.push(remedy('open-file', { file: ctx.env.file, line: ctx.env.line }, `Check the connection setting ${ctx.env.key} in ${path.basename(ctx.env.file)}`,
      `${ctx.env.key}=${ctx.env.value}`));
  } else if (cause === 'dependency-unresolved' || ctx?.listening === 'other-address') {
    out.push(remedy('open-file', server.cwd ? { file: path.join(server.cwd, '.env') } : undefined, 'Check the connection settings (host and port) of the dev server'));
  }
  const who = { ...(server.server !== undefined ? { server: server.server } : {}), ...(server.serverId ? { serverId: server.serverId } : {}),
    ...(server.cwd ? { cwd: server.cwd } : {}), ...(server.pid !== undefined ? { pid: server.pid } : {}) };
  if (canRestart && port !== null && cause === 'dependency-refused') {
    out.push(remedy('wait-then-restart', { ...who, port, host: od.addresses?.[od.addresses.length - 1] ?? od.host ?? null },
      `Wait until ${service ?? 'the service'} listens on port ${port}, then restart the server`));
  } else if (canRestart) {
    out.push(remedy('restart-server', who));
  }
  return out;
}
