// Optional export to the user's own observability tools (off unless an endpoint is set): each crash verdict
// as an OpenTelemetry log record, and each server's memory (and CPU where known) as metrics, over OTLP/HTTP
// with the official exporters. Attribute names follow the semantic conventions (process.pid,
// process.command, process.exit.code, error.type = the cause id). Everything is redacted first, as in
// reports. Never throws at the caller: an unreachable collector is logged through `onError`.
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { ATTR_ERROR_TYPE, ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { Verdict } from '../crash/types';
import { redactText } from '../redact';
import type { Snapshot } from '../types';

// Incubating semantic-convention names, copied as the semantic-conventions package advises (they are
// not exported from its stable entry point).
const ATTR_PROCESS_PID = 'process.pid';
const ATTR_PROCESS_COMMAND = 'process.command';
const ATTR_PROCESS_EXIT_CODE = 'process.exit.code';
const METRIC_PROCESS_MEMORY_USAGE = 'process.memory.usage';
const METRIC_PROCESS_CPU_UTILIZATION = 'process.cpu.utilization';
/** Our own attribute for which dev server a record is about. */
const ATTR_DEV_SERVER = 'dev_server.name';

const SEVERITY: Record<string, SeverityNumber> = {
  'oom-kill': SeverityNumber.FATAL, 'oomd-kill': SeverityNumber.FATAL, 'heap-oom': SeverityNumber.FATAL, 'native-crash': SeverityNumber.FATAL,
  'watcher-waiting': SeverityNumber.WARN,
};

export interface OtlpExportOptions {
  /** The collector's base URL, e.g. http://127.0.0.1:4318 (logs go to /v1/logs, metrics to /v1/metrics). */
  readonly endpoint: string;
  /** service.name of the resource (default dev-server-doctor). */
  readonly serviceName?: string;
  readonly version?: string;
  /** How often metrics are sent (default 30 s). */
  readonly metricIntervalMs?: number;
  readonly onError?: (message: string) => void;
}

/** A usable http(s) base URL, or why not. */
export function checkEndpoint(endpoint: string): { url: string } | { problem: string } {
  let u: URL;
  try {
    u = new URL(endpoint.trim());
  } catch {
    return { problem: `"${endpoint}" is not a URL (expected e.g. http://127.0.0.1:4318).` };
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return { problem: `The OTLP endpoint must be http or https, not ${u.protocol}` };
  return { url: u.toString().replace(/\/+$/, '') };
}

export class OtlpExport {
  private readonly logs: LoggerProvider;
  private readonly meters: MeterProvider;
  private latest: Snapshot | undefined;
  private closed = false;

  constructor(private readonly opts: OtlpExportOptions) {
    const base = opts.endpoint.replace(/\/+$/, '');
    const resource = resourceFromAttributes({ [ATTR_SERVICE_NAME]: opts.serviceName ?? 'dev-server-doctor', [ATTR_SERVICE_VERSION]: opts.version ?? '0' });
    this.logs = new LoggerProvider({
      resource,
      processors: [new BatchLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${base}/v1/logs` }), scheduledDelayMillis: 500 })],
    });
    const reader = new PeriodicExportingMetricReader({
      exporter: new OTLPMetricExporter({ url: `${base}/v1/metrics` }),
      exportIntervalMillis: opts.metricIntervalMs ?? 30_000,
    });
    this.meters = new MeterProvider({ resource, readers: [reader] });
    const meter = this.meters.getMeter('dev-server-doctor');
    meter.createObservableGauge(METRIC_PROCESS_MEMORY_USAGE, { unit: 'By', description: 'Resident memory of each dev server\'s process tree.' })
      .addCallback((r) => {
        for (const s of this.latest?.servers ?? []) {
          if (s.pid !== null) r.observe(s.rssBytes, { [ATTR_DEV_SERVER]: redactText(s.name), [ATTR_PROCESS_PID]: s.pid });
        }
      });
    meter.createObservableGauge(METRIC_PROCESS_CPU_UTILIZATION, { unit: '1', description: 'CPU of each dev server\'s process tree, as a share of one core.' })
      .addCallback((r) => {
        for (const s of this.latest?.servers ?? []) {
          const cpu = (s as { cpuPercent?: number | null }).cpuPercent;
          if (s.pid !== null && typeof cpu === 'number') r.observe(cpu / 100, { [ATTR_DEV_SERVER]: redactText(s.name), [ATTR_PROCESS_PID]: s.pid });
        }
      });
  }

  /** The servers the next metric export describes. */
  observe(snapshot: Snapshot): void {
    this.latest = snapshot;
  }

  /** One log record per verdict. */
  verdict(v: Verdict): void {
    if (this.closed) return;
    const proc = v.pid !== null ? this.latest?.servers.flatMap((s) => s.processes).find((p) => p.pid === v.pid) : undefined;
    const attributes: Record<string, string | number> = { [ATTR_ERROR_TYPE]: v.cause, 'dev_server.confidence': v.confidence };
    if (v.server) attributes[ATTR_DEV_SERVER] = redactText(v.server);
    if (v.pid !== null) attributes[ATTR_PROCESS_PID] = v.pid;
    if (proc) attributes[ATTR_PROCESS_COMMAND] = redactText(proc.command);
    if (v.detail?.exitCode !== undefined) attributes[ATTR_PROCESS_EXIT_CODE] = v.detail.exitCode;
    if (v.topFrame) attributes['code.stacktrace'] = redactText(v.topFrame);
    this.logs.getLogger('dev-server-doctor').emit({
      timestamp: v.time,
      severityNumber: SEVERITY[v.cause] ?? SeverityNumber.ERROR,
      severityText: SEVERITY[v.cause] === SeverityNumber.FATAL ? 'FATAL' : SEVERITY[v.cause] === SeverityNumber.WARN ? 'WARN' : 'ERROR',
      body: redactText(v.summary),
      attributes,
    });
  }

  /** Sends what is buffered now (tests; before closing). */
  async flush(): Promise<void> {
    try {
      await Promise.all([this.logs.forceFlush(), this.meters.forceFlush()]);
    } catch (err) {
      this.opts.onError?.(`OTLP export to ${this.opts.endpoint} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  async dispose(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.flush();
    await Promise.allSettled([this.logs.shutdown(), this.meters.shutdown()]);
  }
}
