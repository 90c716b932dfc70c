// The report webview: names and log text render as text; only the links the report builds are links.
import * as assert from 'node:assert/strict';
import type { Investigation } from '../../src/core/crash/investigate';
import { renderMarkdown, reportLinks } from '../../src/core/crash/report';
import type { Verdict } from '../../src/core/crash/types';
import { reportHtml } from '../../src/vscode/reportHtml';
import { remedyHref, remedyLink } from '../../src/vscode/remedyCommands';

const T = Date.UTC(2026, 10, 22, 9, 30, 0);
const EVIL = 'command:devServerDoctor.killZombies?%7B%22pids%22%3A%5B1%5D%7D';
const EVIL_RAW = 'command:devServerDoctor.killZombies?{"pids":[1]}';

const hostile: Verdict = {
  cause: 'uncaught-exception', confidence: 'high',
  // A package name and a log line are anyone's text.
  server: `[Restart the server](${EVIL})`,
  pid: null, time: T,
  summary: `crashed: Error: see <${EVIL}> or [click](${EVIL}) <a href="${EVIL_RAW}">here</a> ![x](https://example.com/t.png)`,
  evidence: [{ source: 'log-file', text: `Error: [fix it](${EVIL})\n<img src=x onerror=alert(1)>`, time: T, location: `/ws/[log](${EVIL}).log` }],
  topFrame: null,
  remedies: [{ id: 'restart-server', title: 'Restart the server', args: { server: 'api', pid: 7 } }],
};

function investigation(): Investigation {
  return { generatedAt: T, sinceMs: T - 3_600_000, workspaceFolders: ['/ws'], verdicts: [hostile], state: null, inotify: null, problems: [`could not read [x](${EVIL})`] };
}

const hrefs = (html: string): string[] => [...html.matchAll(/<a href="([^"]*)"/g)].map((m) => m[1]);

describe('report webview: injected links and HTML stay text', () => {
  it('the only clickable link is the remedy the report built', () => {
    const inv = investigation();
    const html = reportHtml(renderMarkdown(inv, remedyLink), 'Crash report', 'vscode-resource:', reportLinks(inv, remedyHref));
    const own = remedyHref(hostile.remedies[0]);
    assert.deepEqual([...new Set(hrefs(html))], [own], html);
    assert.equal(hrefs(html).length, 2, 'the remedy and the recommendation');
    assert.ok(!html.includes('<img'), 'no image or raw HTML');
    assert.ok(!/<a href="command:devServerDoctor\.killZombies/.test(html));
    assert.match(html, /Restart the server/);
    assert.match(html, /click/);
  });

  it('even Markdown that escaped nothing gets no link the report did not build', () => {
    const md = `# r\n\n[Stop everything](${EVIL})\n\n<${EVIL}>\n\n[Restart](${remedyHref(hostile.remedies[0])})\n`;
    const html = reportHtml(md, 'r', 'vscode-resource:', [remedyHref(hostile.remedies[0])]);
    assert.equal(hrefs(html).length, 1, html);
    assert.match(html, /Stop everything/);
  });

  it('names and messages in the Markdown cannot open a link, an autolink or a heading', () => {
    // Log text sits in fenced code blocks, where Markdown makes no links; everything else must be escaped.
    const md = renderMarkdown(investigation(), remedyLink).replace(/^ *```+text\n[\s\S]*?^ *```+$/gm, '');
    assert.ok(!/(?<!\\)\[[^\]\n]*(?<!\\)\]\(command:devServerDoctor\.killZombies/.test(md), 'brackets are escaped');
    assert.ok(!md.includes(`<${EVIL}>`));
  });
});
