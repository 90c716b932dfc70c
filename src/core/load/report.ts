// A load test as Markdown (for reading), JSON (for scripts) and an SVG chart of latency and memory per stage,
// saved beside the crash reports.
import { saveReportFiles, type SavedReport } from '../crash/report';
import { formatBytes } from '../format';
import { redactText } from '../redact';
import type { LoadTestReport } from './types';

const MB = 1024 * 1024;

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Two panels: latency p50/p97.5/p99 per stage (lines, ms) over memory per stage (bars, MB); leak rounds after the stages. */
export function loadChartSvg(r: LoadTestReport): string {
  const cols = [
    ...r.stages.map((s) => ({ label: `${s.connections} conn`, lat: s.latencyMs, rss: s.peakRssBytes })),
    ...(r.leak?.rounds ?? []).map((x) => ({ label: `leak ${x.round}`, lat: null, rss: x.rssBytes })),
  ];
  const W = 760, H = 420, left = 60, right = 20, top = 40, mid = 220, bottom = 370;
  const n = Math.max(1, cols.length);
  const step = (W - left - right) / n;
  const x = (i: number) => left + step * (i + 0.5);
  const maxLat = Math.max(1, ...cols.flatMap((c) => (c.lat ? [c.lat.p99] : [])));
  const maxRss = Math.max(1, ...cols.map((c) => (c.rss ?? 0) / MB));
  const yLat = (v: number) => mid - ((mid - top) * v) / maxLat;
  const yRss = (v: number) => bottom - ((bottom - mid - 30) * v) / maxRss;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${left}" y="18" font-size="13" font-weight="bold">${esc(redactText(`Load test of ${r.server} (${r.url})`))}</text>`,
    `<text x="${left}" y="${top - 6}">latency, ms (max ${Math.round(maxLat)})</text>`,
    `<line x1="${left}" y1="${mid}" x2="${W - right}" y2="${mid}" stroke="#888"/>`,
    `<text x="${left}" y="${mid + 24}">memory (RSS of the server's tree), MB (max ${Math.round(maxRss)})</text>`,
    `<line x1="${left}" y1="${bottom}" x2="${W - right}" y2="${bottom}" stroke="#888"/>`,
  ];
  const series: [keyof NonNullable<(typeof cols)[number]['lat']>, string][] = [['p50', '#2b7bb9'], ['p97_5', '#e59400'], ['p99', '#c0392b']];
  for (const [key, color] of series) {
    const pts = cols.map((c, i) => (c.lat ? `${x(i).toFixed(1)},${yLat(c.lat[key]).toFixed(1)}` : null)).filter(Boolean);
    if (pts.length) out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.join(' ')}"/>`);
    cols.forEach((c, i) => { if (c.lat) out.push(`<circle cx="${x(i).toFixed(1)}" cy="${yLat(c.lat[key]).toFixed(1)}" r="3" fill="${color}"/>`); });
  }
  series.forEach(([key, color], i) => out.push(`<text x="${W - right - 200 + i * 65}" y="${top - 6}" fill="${color}">${key.replace('_', '.')}</text>`));
  cols.forEach((c, i) => {
    const mb = (c.rss ?? 0) / MB;
    if (c.rss !== null) {
      out.push(`<rect x="${(x(i) - step * 0.3).toFixed(1)}" y="${yRss(mb).toFixed(1)}" width="${(step * 0.6).toFixed(1)}" height="${(bottom - yRss(mb)).toFixed(1)}" fill="${c.lat ? '#7fb3d5' : '#a9cce3'}"/>`);
      out.push(`<text x="${x(i).toFixed(1)}" y="${(yRss(mb) - 3).toFixed(1)}" text-anchor="middle">${Math.round(mb)}</text>`);
    }
    out.push(`<text x="${x(i).toFixed(1)}" y="${bottom + 16}" text-anchor="middle">${esc(c.label)}</text>`);
  });
  if (r.leak) out.push(`<text x="${left}" y="${H - 8}">${esc(r.leak.verdict.reason)}</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

const ms = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${Math.round(v)} ms`);

export function renderLoadMarkdown(r: LoadTestReport, chartFile: string | null = null): string {
  const out: string[] = [`# Load test of ${r.server}`, '', `${r.url} · ${new Date(r.generatedAt).toISOString()} · pid ${r.pid ?? '?'}`, ''];
  if (r.crashed) out.push(`**The server died during the test.**${r.crashVerdicts.length ? ' ' + r.crashVerdicts.map((v) => `${v.summary} (${v.cause})`).join(' ') : ' Investigate Crash tells why.'}`, '');
  if (r.cancelled) out.push('**Cancelled** before the end: the results cover what ran.', '');
  out.push('## Stages', '', '| connections | requests | req/s | p50 | p97.5 | p99 | non-2xx | errors | server RSS (peak) | server CPU | note |', '|---|---|---|---|---|---|---|---|---|---|---|');
  for (const s of r.stages) {
    out.push(`| ${s.connections} | ${s.requests} | ${s.requestsPerSecond} | ${ms(s.latencyMs.p50)} | ${ms(s.latencyMs.p97_5)} | ${ms(s.latencyMs.p99)} | ${s.non2xxPercent} % | ${s.errorsPercent} % | ${formatBytes(s.peakRssBytes)} | ${s.cpuPercent === null ? '?' : `${s.cpuPercent} %`} | ${s.stoppedBecause ?? ''} |`);
  }
  if (r.leak) {
    out.push('', `## Leak check (${r.leak.connections} connections, ${r.leak.rounds.length} rounds)`, '', `**${r.leak.verdict.likelyLeak ? 'Likely leak' : 'No leak found'}** — ${r.leak.verdict.reason.replace(/^(likely leak|no leak): /, '')}.`, '', '| round | requests | RSS after |', '|---|---|---|');
    for (const x of r.leak.rounds) out.push(`| ${x.round} | ${x.cumulativeRequests} | ${formatBytes(x.rssBytes)} |`);
  }
  if (chartFile) out.push('', `![Latency and memory per stage](${chartFile})`);
  if (r.problems.length) out.push('', '## Problems', '', ...r.problems.map((p) => `- ${p}`));
  out.push('', `Stages last ${r.options.durationMs / 1000} s or ${r.options.maxRequestsPerStage} requests, whichever comes first; latency as autocannon measures it on this machine (the load generator shares its CPUs).`);
  return redactText(out.join('\n')) + '\n';
}

export function loadReportJson(r: LoadTestReport): LoadTestReport {
  return JSON.parse(redactText(JSON.stringify(r))) as LoadTestReport;
}

/** dev-server-doctor-load-YYYYMMDD-HHMMSS.{md,json,svg} in each folder. */
export function saveLoadReport(r: LoadTestReport, dirs: readonly string[]): SavedReport {
  return saveReportFiles(dirs, 'dev-server-doctor-load', r.generatedAt, [
    ['.svg', loadChartSvg(r)],
    ['.md', (stem) => renderLoadMarkdown(r, `${stem}.svg`)],
    ['.json', `${JSON.stringify(loadReportJson(r), null, 2)}\n`],
  ]);
}
