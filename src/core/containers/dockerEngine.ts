// The container engine through dockerode (Docker Engine API; Podman's compatible socket works the same).
// dockerode is loaded only when a socket exists, so a machine without Docker pays nothing for it.
import type Dockerode from 'dockerode';
import type { EngineAddress } from './engine';
import { demuxLogs, type InspectLike } from './model';

/** One event of the engine's stream (`docker events`), the fields this extension reads. */
export interface EngineEvent {
  readonly Type?: string;
  readonly Action?: string;
  readonly status?: string;
  readonly id?: string;
  readonly time?: number;
  readonly timeNano?: number;
  readonly Actor?: { readonly ID?: string; readonly Attributes?: Record<string, string> };
}

/** A container as the list call returns it: enough to decide whether it is the workspace's before inspecting it. */
export interface ListedContainer {
  readonly Id: string;
  readonly Labels?: Record<string, string>;
  readonly Mounts?: readonly { readonly Type?: string; readonly Source?: string }[];
}

/** What the monitor needs from an engine. */
export interface ContainerEngine {
  readonly label: string;
  version(): Promise<{ version: string; apiVersion: string; name: string }>;
  list(): Promise<ListedContainer[]>;
  inspect(id: string): Promise<InspectLike>;
  /** The last `tail` lines of its output (stdout and stderr). */
  logs(id: string, tail: number): Promise<string>;
  /** Subscribes to container events; `onEnd` is called once when the stream ends or fails. Returns the unsubscribe. */
  events(onEvent: (e: EngineEvent) => void, onEnd: (err: Error | null) => void): Promise<() => void>;
  start(id: string): Promise<void>;
  stop(id: string, timeoutSeconds?: number): Promise<void>;
  restart(id: string, timeoutSeconds?: number): Promise<void>;
}

/** Longer than a stop's grace period (10 s), so stop and restart calls are not cut short. */
const REQUEST_TIMEOUT_MS = 30_000;

export async function dockerodeEngine(address: EngineAddress): Promise<ContainerEngine> {
  const { default: Docker } = await import('dockerode');
  const docker: Dockerode = address.kind === 'socket'
    ? new Docker({ socketPath: address.socketPath, timeout: REQUEST_TIMEOUT_MS })
    : new Docker({ host: address.host, port: address.port, protocol: address.protocol, timeout: REQUEST_TIMEOUT_MS });
  return {
    label: address.label,
    async version() {
      const v = await docker.version();
      const name = (v as { Components?: { Name?: string }[] }).Components?.[0]?.Name ?? 'Engine';
      return { version: v.Version, apiVersion: v.ApiVersion, name: /podman/i.test(JSON.stringify(v.Components ?? '')) ? 'Podman' : name === 'Engine' ? 'Docker' : name };
    },
    async list() {
      return (await docker.listContainers({ all: true })) as ListedContainer[];
    },
    async inspect(id) {
      return (await docker.getContainer(id).inspect()) as unknown as InspectLike;
    },
    async logs(id, tail) {
      const out = await docker.getContainer(id).logs({ stdout: true, stderr: true, tail, follow: false });
      return demuxLogs(Buffer.isBuffer(out) ? out : Buffer.from(String(out)));
    },
    async events(onEvent, onEnd) {
      // No timeout on the stream itself: it stays open as long as the engine runs.
      const streamDocker = address.kind === 'socket' ? new Docker({ socketPath: address.socketPath })
        : new Docker({ host: address.host, port: address.port, protocol: address.protocol });
      const stream = (await streamDocker.getEvents({ filters: { type: ['container'] } })) as NodeJS.ReadableStream & { destroy?: () => void };
      let buffered = '';
      let ended = false;
      const end = (err: Error | null): void => {
        if (ended) return;
        ended = true;
        onEnd(err);
      };
      stream.on('data', (chunk: Buffer | string) => {
        buffered += chunk.toString();
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl).trim();
          buffered = buffered.slice(nl + 1);
          if (!line) continue;
          try {
            onEvent(JSON.parse(line) as EngineEvent);
          } catch {
            // A malformed event line is skipped; the next list/inspect corrects the picture.
          }
        }
      });
      stream.on('end', () => end(null));
      stream.on('close', () => end(null));
      stream.on('error', (err: Error) => end(err));
      return () => {
        ended = true;
        stream.removeAllListeners();
        stream.on('error', () => undefined);
        stream.destroy?.();
      };
    },
    async start(id) {
      await docker.getContainer(id).start();
    },
    async stop(id, t = 10) {
      await docker.getContainer(id).stop({ t });
    },
    async restart(id, t = 10) {
      await docker.getContainer(id).restart({ t });
    },
  };
}
