// The dashboard webview: draws what the extension sends (no I/O of its own) with uPlot — per server its
// memory over time with its limits, markers and projected trend, CPU beneath; the machine; the crash table
// with filters, statistics and Mark Resolved. Charts are updated in place (setData) on every snapshot.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { DashboardModel, CrashRow, CrashStats } from '../core/dashboard/model';
import type { Marker, ServerSeries } from '../core/dashboard/series';

interface VsCodeApi { postMessage(msg: unknown): void; getState(): unknown; setState(s: unknown): void }
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const root = document.getElementById('root')!;
const charts = new Map<string, { mem: uPlot; cpu: uPlot; el: HTMLElement; series: ServerSeries }>();
let machineChart: uPlot | null = null;
let last: DashboardModel | null = null;
const filters = { server: '', cause: '', severity: '', unresolvedOnly: false, window: 'day' as 'day' | 'week' };

function css(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

const colors = () => ({
  fg: css('--vscode-foreground', '#ccc'),
  grid: 'rgba(128,128,128,0.22)',
  rss: css('--vscode-charts-blue', '#3794ff'),
  heap: css('--vscode-charts-green', '#89d185'),
  cpu: css('--vscode-charts-purple', '#b180d7'),
  limit: css('--vscode-charts-red', '#f14c4c'),
  cgroup: css('--vscode-charts-orange', '#d18616'),
  avail: css('--vscode-charts-yellow', '#cca700'),
  warn: css('--vscode-charts-yellow', '#cca700'),
  start: css('--vscode-descriptionForeground', '#999'),
});

function fmtBytes(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '';
  const u = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let x = Math.abs(v);
  while (x >= 1024 && i < u.length - 1) { x /= 1024; i++; }
  return `${(v < 0 ? -x : x).toFixed(x >= 100 || i === 0 ? 0 : 1)} ${u[i]}`;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function axes(c: ReturnType<typeof colors>, yValues: (u: uPlot, v: number[]) => string[]): uPlot.Axis[] {
  return [
    { stroke: c.fg, grid: { stroke: c.grid, width: 1 }, ticks: { stroke: c.grid } },
    { stroke: c.fg, grid: { stroke: c.grid, width: 1 }, ticks: { stroke: c.grid }, values: yValues, size: 64 },
  ];
}

/** Horizontal limit lines and vertical markers, drawn on the canvas after the series. */
function drawOverlays(s: () => ServerSeries, c: ReturnType<typeof colors>): uPlot.Plugin {
  return {
    hooks: {
      draw: [(u: uPlot) => {
        const ctx = u.ctx;
        const { left, top, width, height } = u.bbox;
        const cur = s();
        ctx.save();
        ctx.lineWidth = devicePixelRatio;
        const hline = (y: number | null, color: string): void => {
          if (y === null) return;
          const py = u.valToPos(y, 'y', true);
          if (py < top || py > top + height) return;
          ctx.strokeStyle = color;
          ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
          ctx.beginPath(); ctx.moveTo(left, py); ctx.lineTo(left + width, py); ctx.stroke();
        };
        hline(cur.heapLimit, c.limit);
        hline(cur.cgroupLimit, c.cgroup);
        ctx.setLineDash([]);
        for (const m of cur.markers) {
          const px = u.valToPos(m.t / 1000, 'x', true);
          if (px < left || px > left + width) continue;
          ctx.strokeStyle = m.kind === 'crash' ? c.limit : m.kind === 'warning' ? c.warn : c.start;
          ctx.beginPath(); ctx.moveTo(px, top); ctx.lineTo(px, top + height); ctx.stroke();
        }
        ctx.restore();
      }],
    },
  };
}

function memData(s: ServerSeries): uPlot.AlignedData {
  // The projection is a third line on its own x values: merged into the shared x axis.
  if (!s.projection) return [s.t as number[], s.rss as (number | null)[], s.heap as (number | null)[], s.t.map(() => null)];
  const xs = [...s.t, ...s.projection.t];
  const pad = s.projection.t.map(() => null);
  return [xs, [...s.rss, ...pad], [...s.heap, ...pad], [...s.t.map(() => null), ...s.projection.rss]];
}

function serverCard(s: ServerSeries, width: number): { mem: uPlot; cpu: uPlot; el: HTMLElement; series: ServerSeries } {
  const c = colors();
  const card = el('section', { class: 'card server', 'data-server': s.id });
  const head = el('h3');
  card.append(head);
  const legend = el('div', { class: 'limits' });
  card.append(legend);
  const memEl = el('div');
  const cpuEl = el('div');
  const marks = el('ul', { class: 'markers' });
  memEl.className = 'mem';
  cpuEl.className = 'cpu';
  card.append(el('p', { class: 'note muted' }), memEl, cpuEl, marks);
  const entry = { mem: null as unknown as uPlot, cpu: null as unknown as uPlot, el: card, series: s };
  const current = (): ServerSeries => entry.series;
  entry.mem = new uPlot({
    width, height: 180, legend: { show: true },
    // A limit far above the curve would flatten it: limits count for the range only when within 2.5× of the data.
    scales: { x: { time: true }, y: { range: (_u, _min, max) => {
      const top = max ?? 0;
      const near = [current().heapLimit, current().cgroupLimit].filter((l): l is number => l !== null && l <= Math.max(top, 1) * 2.5);
      return [0, Math.max(top, ...near) * 1.1 || 1];
    } } },
    axes: axes(c, (_u, v) => v.map((x) => fmtBytes(x))),
    series: [
      {},
      { label: 'RSS', stroke: c.rss, width: 2, value: (_u, v) => fmtBytes(v) },
      { label: 'heap used', stroke: c.heap, width: 2, points: { show: true, size: 6 }, value: (_u, v) => fmtBytes(v) },
      { label: 'trend', stroke: c.rss, width: 1.5, dash: [6, 5], value: (_u, v) => fmtBytes(v) },
    ],
    plugins: [drawOverlays(current, c)],
  }, memData(s), memEl);
  entry.cpu = new uPlot({
    width, height: 90, legend: { show: true },
    scales: { x: { time: true }, y: { range: [0, 100] } },
    axes: axes(c, (_u, v) => v.map((x) => `${x}%`)),
    series: [{}, { label: 'CPU', stroke: c.cpu, width: 1.5, value: (_u, v) => (v === null ? '' : `${v.toFixed(0)}%`) }],
  }, [s.t as number[], s.cpu as (number | null)[]], cpuEl);
  fillCard(entry, s);
  return entry;
}

function markerItem(m: Marker): HTMLElement {
  const li = el('li', { class: `marker ${m.kind}` });
  const time = new Date(m.t).toLocaleTimeString();
  if (m.kind === 'crash' && m.crashId) {
    const a = el('a', { href: '#', 'data-crash': m.crashId }, `${time} crash — ${m.label}`);
    li.append(a);
  } else {
    li.textContent = `${time} ${m.kind} — ${m.label}`;
  }
  return li;
}

function fillCard(entry: { el: HTMLElement; series: ServerSeries }, s: ServerSeries): void {
  const head = entry.el.querySelector('h3')!;
  const lastRss = s.state === 'down' ? null : [...s.rss].reverse().find((v) => v !== null) ?? null;
  head.textContent = `${s.name} — ${s.state}${lastRss !== null ? ` · RSS ${fmtBytes(lastRss)}` : ''}`;
  const hasData = s.rss.some((v) => v !== null) || s.heap.some((v) => v !== null);
  entry.el.classList.toggle('no-data', !hasData);
  entry.el.classList.toggle('no-cpu', !s.cpu.some((v) => v !== null));
  const note = entry.el.querySelector('.note')!;
  note.textContent = hasData ? '' : 'Not running in this window: no memory samples.';
  const limits = entry.el.querySelector('.limits')!;
  limits.textContent = [
    s.heapLimit !== null ? `heap limit ${fmtBytes(s.heapLimit)}${s.heapLimitFrom ? ` (${s.heapLimitFrom})` : ''}` : '',
    s.cgroupLimit !== null ? `cgroup limit ${fmtBytes(s.cgroupLimit)}` : '',
    s.projection ? `trend reaches ${fmtBytes(s.projection.rss[1])} at ${new Date(s.projection.t[1] * 1000).toLocaleTimeString()}` : '',
  ].filter(Boolean).join(' · ');
  const list = entry.el.querySelector('.markers')!;
  list.replaceChildren(...s.markers.slice(-6).map(markerItem));
}

function renderServers(model: DashboardModel): void {
  let box = document.getElementById('servers');
  if (!box) {
    box = el('div', { id: 'servers' });
    root.append(box);
  }
  const width = Math.max(320, Math.min(box.clientWidth || root.clientWidth || 800, 1400) - 24);
  const ids = new Set(model.series.servers.map((s) => s.id));
  for (const [id, c] of charts) {
    if (!ids.has(id)) { c.mem.destroy(); c.cpu.destroy(); c.el.remove(); charts.delete(id); }
  }
  if (model.series.servers.length === 0) {
    box.replaceChildren(el('p', { class: 'empty' }, 'No dev server has run in this window yet.'));
    return;
  }
  box.querySelector('.empty')?.remove();
  for (const s of model.series.servers) {
    const existing = charts.get(s.id);
    if (existing) {
      existing.series = s;
      existing.mem.setData(memData(s));
      existing.cpu.setData([s.t as number[], s.cpu as (number | null)[]]);
      fillCard(existing, s);
    } else {
      const c = serverCard(s, width);
      charts.set(s.id, c);
      box.append(c.el);
    }
  }
}

function renderMachine(model: DashboardModel): void {
  const m = model.series.machine;
  const data: uPlot.AlignedData = [m.t as number[], m.memUsed as (number | null)[], m.available as (number | null)[], m.swapUsed as (number | null)[]];
  const summary = document.getElementById('machine-summary');
  const lastUsed = [...m.memUsed].reverse().find((v) => v !== null) ?? null;
  const lastPsi = [...m.psiFull].reverse().find((v) => v !== null) ?? null;
  const disks = m.disks.map((d) => `${d.mount} ${[...d.usedPercent].reverse().find((v) => v !== null) ?? '?'}%`).join(' · ');
  if (summary) summary.textContent = `memory ${fmtBytes(lastUsed)} used of ${fmtBytes(m.total)}${lastPsi !== null ? ` · PSI full ${lastPsi.toFixed(1)}` : ''}${disks ? ` · disks ${disks}` : ''}`;
  if (machineChart) { machineChart.setData(data); return; }
  const c = colors();
  const host = document.getElementById('machine-chart')!;
  machineChart = new uPlot({
    width: Math.max(320, Math.min(host.clientWidth || 800, 1400) - 24), height: 150,
    scales: { x: { time: true } },
    axes: axes(c, (_u, v) => v.map((x) => fmtBytes(x))),
    series: [{}, { label: 'memory used', stroke: c.rss, width: 2, value: (_u, v) => fmtBytes(v) },
      { label: 'available', stroke: c.avail, width: 1.5, value: (_u, v) => fmtBytes(v) },
      { label: 'swap used', stroke: c.cgroup, width: 1.5, value: (_u, v) => fmtBytes(v) }],
  }, data, host);
}

function statsTable(title: string, counts: Readonly<Record<string, number>>): HTMLElement {
  const box = el('div', { class: 'stat' });
  box.append(el('h4', {}, title));
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  if (entries.length === 0) box.append(el('p', { class: 'muted' }, 'none'));
  const ul = el('ul');
  for (const [k, n] of entries) ul.append(el('li', {}, `${k}: ${n}`));
  box.append(ul);
  return box;
}

function renderStats(stats: CrashStats): void {
  const box = document.getElementById('stats')!;
  box.replaceChildren(
    el('p', { class: 'totals' }, `${stats.total} crash${stats.total === 1 ? '' : 'es'}, ${stats.unresolved} unresolved`),
    statsTable('By cause', stats.byCause), statsTable('By server', stats.byServer), statsTable('By severity', stats.bySeverity),
  );
}

function option(value: string, label = value, selected = false): HTMLOptionElement {
  const o = el('option', { value }, label);
  if (selected) o.selected = true;
  return o;
}

function renderCrashes(model: DashboardModel): void {
  const stats = filters.window === 'day' ? model.stats.day : model.stats.week;
  renderStats(stats);
  const since = model.now - (filters.window === 'day' ? 86_400_000 : 7 * 86_400_000);
  const sel = (id: string, values: string[], current: string): void => {
    const s = document.getElementById(id) as HTMLSelectElement;
    s.replaceChildren(option('', 'all'), ...values.map((v) => option(v, v, v === current)));
  };
  const uniq = (f: (r: CrashRow) => string) => [...new Set(model.crashes.map(f))].sort();
  sel('f-server', uniq((r) => r.server), filters.server);
  sel('f-cause', uniq((r) => r.cause), filters.cause);
  sel('f-severity', ['critical', 'high', 'medium', 'low'], filters.severity);
  const rows = model.crashes.filter((r) => r.time >= since
    && (!filters.server || r.server === filters.server) && (!filters.cause || r.cause === filters.cause)
    && (!filters.severity || r.severity === filters.severity) && (!filters.unresolvedOnly || !r.resolved));
  const body = document.querySelector('#crash-table tbody')!;
  body.replaceChildren(...rows.map((r) => {
    const tr = el('tr', { class: r.resolved ? 'resolved' : '', 'data-crash': r.id });
    tr.append(el('td', {}, new Date(r.time).toLocaleString()), el('td', {}, r.server), el('td', {}, r.cause),
      el('td', { class: `sev ${r.severity}` }, r.severity), el('td', {}, r.category));
    const summary = el('td');
    summary.append(el('a', { href: '#', 'data-crash': r.id, title: 'Open this crash\'s report' }, r.summary));
    tr.append(summary);
    const act = el('td');
    if (!r.resolved) act.append(el('button', { 'data-resolve': r.id }, 'Mark Resolved'));
    else act.textContent = 'resolved';
    tr.append(act);
    return tr;
  }));
  document.getElementById('crash-count')!.textContent = `${rows.length} shown`;
}

function render(model: DashboardModel): void {
  const t0 = performance.now();
  last = model;
  renderServers(model);
  renderMachine(model);
  renderCrashes(model);
  document.getElementById('updated')!.textContent = `updated ${new Date(model.now).toLocaleTimeString()}`;
  const ms = performance.now() - t0;
  vscode.postMessage({ type: 'rendered', ms, servers: model.series.servers.length, points: model.series.servers.reduce((n, s) => n + s.t.length, 0) });
}

function layout(): void {
  root.innerHTML = `
    <header><h2>Dev Server Doctor</h2><span id="updated" class="muted"></span>
      <label>window <select id="f-window-range"><option value="600000">10 min</option><option value="1800000" selected>30 min</option><option value="3600000">1 h</option><option value="7200000">2 h</option></select></label></header>
    <h2>Servers</h2>
    <div id="servers"></div>
    <h2>Machine</h2>
    <section class="card"><p id="machine-summary" class="muted"></p><div id="machine-chart"></div></section>
    <h2>Crashes</h2>
    <section class="card">
      <div class="filters">
        <label><input type="radio" name="win" value="day" checked> 24 h</label>
        <label><input type="radio" name="win" value="week"> 7 days</label>
        <label>server <select id="f-server"></select></label>
        <label>cause <select id="f-cause"></select></label>
        <label>severity <select id="f-severity"></select></label>
        <label><input type="checkbox" id="f-unresolved"> unresolved only</label>
        <span id="crash-count" class="muted"></span>
      </div>
      <div id="stats" class="stats"></div>
      <table id="crash-table"><thead><tr><th>Time</th><th>Server</th><th>Cause</th><th>Severity</th><th>Category</th><th>Summary</th><th></th></tr></thead><tbody></tbody></table>
    </section>`;
  const rerender = (): void => { if (last) renderCrashes(last); };
  document.getElementById('f-server')!.addEventListener('change', (e) => { filters.server = (e.target as HTMLSelectElement).value; rerender(); });
  document.getElementById('f-cause')!.addEventListener('change', (e) => { filters.cause = (e.target as HTMLSelectElement).value; rerender(); });
  document.getElementById('f-severity')!.addEventListener('change', (e) => { filters.severity = (e.target as HTMLSelectElement).value; rerender(); });
  document.getElementById('f-unresolved')!.addEventListener('change', (e) => { filters.unresolvedOnly = (e.target as HTMLInputElement).checked; rerender(); });
  for (const r of document.querySelectorAll<HTMLInputElement>('input[name=win]')) r.addEventListener('change', () => { filters.window = r.value as 'day' | 'week'; rerender(); });
  document.getElementById('f-window-range')!.addEventListener('change', (e) => vscode.postMessage({ type: 'window', ms: Number((e.target as HTMLSelectElement).value) }));
  root.addEventListener('click', (e) => {
    const t = e.target as HTMLElement;
    const resolve = t.getAttribute('data-resolve');
    if (resolve) { vscode.postMessage({ type: 'markResolved', id: resolve }); return; }
    const crash = t.closest('a')?.getAttribute('data-crash');
    if (crash) { e.preventDefault(); vscode.postMessage({ type: 'openCrash', id: crash }); }
  });
}

layout();
window.addEventListener('message', (e: MessageEvent<{ type: string; model?: DashboardModel }>) => {
  if (e.data?.type === 'update' && e.data.model) render(e.data.model);
});
window.addEventListener('resize', () => {
  for (const c of charts.values()) {
    const w = Math.max(320, Math.min(root.clientWidth, 1400) - 24);
    c.mem.setSize({ width: w, height: 180 });
    c.cpu.setSize({ width: w, height: 90 });
  }
});
vscode.postMessage({ type: 'ready' });
