// The report as one HTML page for the webview: Markdown rendered without raw HTML, and no link but the report's own.
import MarkdownIt from 'markdown-it';
import type { ReportChart } from '../core/crash/report';

const md = new MarkdownIt({ html: false, linkify: false, typographer: false });
type Token = ReturnType<typeof md.parse>[number];

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * Turns every link whose target is not in `allowed` back into its text: a package name, a log line or an alert
 * message that spells `[x](command:…)` or `<command:…>` stays words, whatever the Markdown escaping upstream missed.
 */
function onlyAllowedLinks(tokens: Token[], allowed: ReadonlySet<string>): void {
  const asText = (t: Token): void => {
    t.type = 'text';
    t.tag = '';
    t.attrs = null;
    t.content = '';
  };
  tokens.forEach((t, i) => {
    if (t.children) onlyAllowedLinks(t.children, allowed);
    if (t.type === 'image') {
      // Its alt text stays; nothing is fetched or clickable.
      t.type = 'text';
      t.children = null;
    }
    if (t.type !== 'link_open' || allowed.has(String(t.attrGet('href') ?? ''))) return;
    const close = tokens.findIndex((c, j) => j > i && c.type === 'link_close' && c.level === t.level);
    asText(t);
    if (close >= 0) asText(tokens[close]);
  });
}

/** Full HTML page for the report; of its links only `links` (hrefs the report built) stay clickable. Pure. */
export function reportHtml(markdown: string, title: string, cspSource: string, links: readonly string[], charts: readonly ReportChart[] = []): string {
  const allowed = new Set(links.map((l) => md.normalizeLink(l)));
  const env = {};
  const tokens = md.parse(markdown, env);
  onlyAllowedLinks(tokens, allowed);
  // Charts are our own SVG, shown as images (no script runs in an <img>), after the text.
  const figures = charts.map((c) => `<figure><img alt="${escapeHtml(c.title)}" src="data:image/svg+xml;base64,${Buffer.from(c.svg).toString('base64')}"><figcaption>${escapeHtml(c.title)}</figcaption></figure>`).join('\n');
  const body = md.renderer.render(tokens, md.options, env) + (figures ? `\n<h2>Memory before the crashes</h2>\n${figures}` : '');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline' ${cspSource}; img-src ${cspSource} data:;">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeHtml(title)}</title>
<style>
  body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); padding: 0 24px 32px; max-width: 980px; line-height: 1.5; }
  h1, h2, h3 { font-weight: 600; }
  h2 { border-bottom: 1px solid var(--vscode-panel-border); padding-bottom: 4px; margin-top: 28px; }
  code, pre { font-family: var(--vscode-editor-font-family); font-size: 0.95em; }
  pre { background: var(--vscode-textCodeBlock-background); padding: 8px 12px; overflow-x: auto; border-radius: 4px; }
  blockquote { border-left: 3px solid var(--vscode-textBlockQuote-border); margin: 8px 0; padding: 2px 12px; background: var(--vscode-textBlockQuote-background); }
  a { color: var(--vscode-textLink-foreground); }
  table { border-collapse: collapse; }
  th, td { border: 1px solid var(--vscode-panel-border); padding: 3px 8px; text-align: left; }
  figure { margin: 12px 0; } figure img { max-width: 100%; border-radius: 4px; }
</style>
</head>
<body>
${body}
</body>
</html>`;
}

