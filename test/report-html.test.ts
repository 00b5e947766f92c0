import { mkdtempSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { escapeHtml, htmlReport, scriptJson, tableHtml } from '../src/report/html.js';
import { indexPage, scanReports, writeIndex } from '../src/report/index-page.js';
import { fingerprint, redact } from '../src/report/redact.js';
import { comparison } from '../src/report/table.js';
import { results, run, variant } from './helpers/results.js';

/** Substring checks that name the missing part instead of printing a megabyte page. */
const has = (text: string, part: string): void => expect(text.includes(part), `missing: ${part}`).toBe(true);
const lacks = (text: string, part: string): void => expect(text.includes(part), `present: ${part}`).toBe(false);

const facts = { generatedAt: new Date('2025-03-04T05:06:07Z'), version: '9.9.9' };
/** The JSON of every chart spec embedded in the page, parsed back. */
const specsOf = (html: string): unknown[] =>
  [...html.matchAll(/<script type="application\/json" id="spec-\d+">(.*?)<\/script>/gs)].map((m) => JSON.parse(m[1]!));

describe('the report page', () => {
  const page = htmlReport(results(), { ...facts, source: 'name: tiny\nseed: 7\n', overrides: ['keys.count=8'] });

  it('is one self-contained file: the three bundles inlined, no external script, style or link', () => {
    expect(page.slice(0, 15)).toBe('<!doctype html>');
    expect(/<script[^>]*\ssrc=/i.test(page)).toBe(false);
    expect(/<link\b/i.test(page)).toBe(false);
    lacks(page, 'sourceMappingURL');
    // vega, vega-lite and vega-embed announce themselves as globals.
    has(page, '.vegaEmbed=');
    has(page, 'vegaLite');
    expect(page.length).toBeGreaterThan(500_000);
  });

  it('has the header facts: name, description, seed, mode, date, version, overrides and the scenario', () => {
    has(page, '<h1>tiny</h1>');
    has(page, 'A hand-made results file');
    has(page, '<dt>seed</dt><dd>7</dd>');
    has(page, '<dt>mode</dt><dd>simulation (virtual time)</dd>');
    has(page, '<dt>page generated</dt><dd>2025-03-04 05:06 UTC</dd>');
    has(page, '<dt>gatesim</dt><dd>9.9.9</dd>');
    has(page, '--set keys.count=8');
    has(page, '<pre><code>name: tiny\nseed: 7\n</code></pre>');
  });

  it('has a section and table per run, the across-runs charts, and one embedded spec per chart', () => {
    expect(page.match(/<section class="run"/g)).toHaveLength(3);
    // The answer's table and one per run.
    expect(page.match(/<table class="comparison">/g)).toHaveLength(3);
    const specs = specsOf(page);
    expect(specs.length).toBe(page.match(/data-spec="spec-\d+"/g)!.length);
    expect(specs.length).toBeGreaterThanOrEqual(14);
  });

  it('shows published figures beside the simulated ones and marks a disagreeing direction with ≠', () => {
    // Published: fast 700 ms vs slow 600 ms (fast worse); simulated: 800 vs 1600 (fast better).
    has(page, '<th scope="col" class="num published">fast (published)</th>');
    const row = page.split('\n').find((l) => l.includes('<th scope="row">mean latency (s)</th>'))!;
    has(row, '<td class="num published">0.700</td>');
    expect(row).toMatch(/<td class="num gain disagree">\+50\.0% <span class="ne"[^>]*>≠<\/span><\/td>/);
    has(page, '<li><span class="ne">≠</span> mean latency: fast vs slow goes the other way from the published figures.</li>');
  });

  it('renders the comparison table cell for cell as the terminal does', () => {
    const r = results();
    const t = comparison(r, r.runs[1]!);
    const html = tableHtml(t);
    for (const row of t.rows) for (const cell of row) has(html, `>${escapeHtml(cell)}<`);
  });
});

describe('the page answers first', () => {
  const at = (html: string, part: string): number => {
    const i = html.indexOf(part);
    expect(i, `missing: ${part}`).toBeGreaterThanOrEqual(0);
    return i;
  };

  it('opens with the answer: the best option per run, its margin, and how many published figures hold, before any run', () => {
    const r = results({ notes: ['Why the numbers differ.'] });
    const html = htmlReport(r, facts);
    const answer = at(html, '<section class="answer" id="answer">');
    expect(answer).toBeLessThan(at(html, '<section class="notes" id="notes">'));
    expect(at(html, '<section class="notes" id="notes">')).toBeLessThan(at(html, '<section class="run" id="run-1">'));
    const section = html.slice(answer, html.indexOf('</section>', answer));
    has(section, 'Ranked by the goal, <strong>maximise goodput subject to 429s = 0%, quota violations = 0</strong>: options that meet it first (about the most requests done, then the most goodput), then the closest.');
    has(section, '<th scope="row">small</th><td class="num">fast</td><td class="num">yes</td><td class="num">2.00</td><td class="num">0.0</td><td class="num">100.0</td><td class="num">meets the goal; slow misses 429s 25%</td>');
    has(section, '<strong>Published figures: 2 of 4 reproduced</strong>, <strong class="bad">1 contradicted</strong>, 1 off by more than the tolerance');
    has(section, '<li>mean latency, fast: published 0.700 s, simulated 0.800 s; against slow it goes the other way</li>');
    has(section, '<summary>Off by more than the tolerance (1)</summary>');
    // The published-vs-simulated chart is in the answer, the page's first chart.
    has(section, 'data-spec="spec-1"');
    expect((specsOf(html)[0] as { title: { text: string } }).title.text).toBe('Published against simulated');
  });

  it('has a table of contents linking every section in page order', () => {
    const html = htmlReport(results({ notes: ['n'] }), facts);
    const nav = html.slice(at(html, '<nav class="toc"'), html.indexOf('</nav>'));
    const links = [...nav.matchAll(/href="#([^"]+)"/g)].map((m) => m[1]!);
    expect(links).toEqual(['answer', 'notes', 'run-1', 'run-2', 'across-runs']);
    for (const id of links) has(html, `id="${id}"`);
  });

  it('names the conditions it never picks', () => {
    const r = results({ runs: [run('only', [variant('pick', { ok: 4 }), Object.assign(variant('no rate limit', { ok: 8, latency: 300 }), { condition: true as const })])], baseline: 'pick', reference: {} });
    const html = htmlReport(r, facts);
    has(html, 'Conditions, compared but never picked: <em>no rate limit</em>.');
  });

  it('after --seed or --set: says so in the header, shows no published column, and does not compare', () => {
    const html = htmlReport(results({ changed: ['--seed 3'] }), facts);
    has(html, '<dt>changed</dt><dd>--seed 3 (published figures not compared)</dd>');
    lacks(html, '(published)</th>');
    has(html, 'Published figures not compared: they describe the scenario as written, and this run changed it (--seed 3).');
    expect(specsOf(html).map((s) => (s as { title: { text: string } }).title.text)).not.toContain('Published against simulated');
  });

  it('shows the scenario as run from results.json (already redacted) before the file on disk', () => {
    const r = results({ source: `name: tiny\napiKey: "${fingerprint('sk-1')}"\n` });
    const html = htmlReport(r, { ...facts, source: 'name: changed since\n', sourceNote: 'the file as it is now, which may differ from the one run' });
    has(html, `<pre><code>name: tiny\napiKey: &quot;${fingerprint('sk-1')}&quot;\n</code></pre>`);
    lacks(html, 'changed since');
    lacks(html, 'the file as it is now');
  });

  it("puts a compact table's change under its value only when the table needs the room (the text stays the terminal's)", () => {
    const t = { title: 't', header: ['metric', 'a', 'b', 'c'], rows: [['x (s)', '1.000', '2.000 (-100.0%)', '0.500 (+50.0% ≠)']], notes: [], remarks: ['left out, zero in every variant: y'] };
    const html = tableHtml(t);
    has(html, '<td class="num">2.000 <span class="chg">(-100.0%)</span></td>');
    has(html, '<td class="num disagree">0.500 <span class="chg">(+50.0% <span class="ne"');
    has(html, '<ul class="remarks"><li>left out, zero in every variant: y</li></ul>');
  });
});

describe('escaping', () => {
  const evil = '<script>alert(1)</script>';
  const r = results({
    scenario: evil,
    description: '<img src=x onerror=alert(2)> & "quotes"',
    file: 'scenarios/</script>.yaml',
    runs: [run(`run ${evil}`, [variant(`<b>v</b>`), variant('slow', { ok: 3, rateLimited: 1, latency: 1600 })])],
    baseline: 'slow',
    reference: {},
  });
  const page = htmlReport(r, { ...facts, source: `name: "${evil}"\n# </script><script>alert(3)</script>\n`, overrides: [`x=${evil}`] });

  it('a scenario named <script>alert(1)</script> renders as text, everywhere it appears', () => {
    lacks(page, evil);
    lacks(page, '<img src=x');
    lacks(page, 'alert(3)</script>');
    has(page, '<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>');
    has(page, '<title>&lt;script&gt;alert(1)&lt;/script&gt; · gatesim report</title>');
    has(page, '&lt;img src=x onerror=alert(2)&gt; &amp; &quot;quotes&quot;');
    has(page, '<h2>run &lt;script&gt;alert(1)&lt;/script&gt;</h2>');
    has(page, '<th scope="col" class="num">&lt;b&gt;v&lt;/b&gt;</th>');
    // The only script elements are the ones the page means: specs, three bundles, the boot script.
    const specs = specsOf(page);
    expect(page.match(/<script\b/g)).toHaveLength(specs.length + 4);
    expect(page.match(/<\/script>/g)).toHaveLength(specs.length + 4);
  });

  it('data in <script> blocks cannot close them: < is \\u003c, and the names survive the round trip', () => {
    const raw = page.match(/<script type="application\/json" id="spec-1">(.*?)<\/script>/s)![1]!;
    expect(raw).not.toContain('<');
    expect(raw).toContain('\\u003cb\\u003ev\\u003c/b\\u003e');
    const names = (specsOf(page)[0] as { data: { values: { variant: string }[] } }).data.values.map((v) => v.variant);
    expect(names).toContain('<b>v</b>');
    expect(scriptJson({ s: '</script><!-- \u2028 & >' })).toBe('{"s":"\\u003c/script\\u003e\\u003c!-- \\u2028 \\u0026 \\u003e"}');
    expect(JSON.parse(scriptJson({ s: '</script><!-- \u2028 & >' }))).toEqual({ s: '</script><!-- \u2028 & >' });
  });
});

describe('redact', () => {
  it('replaces values of key / token / secret / apiKey / authorization fields with a sha256 fingerprint', () => {
    const text = [
      '# a comment stays',
      'name: demo   # so does this one',
      'keys:',
      '  count: 4',
      '  apiKey: sk-live-123   # trailing comment',
      '  values: [a, b]',
      'providers:',
      '  - name: p',
      '    token: "quoted secret"',
      '    headers: { Authorization: Bearer abc, X-Api-Key: zzz, accept: json }',
      '    client_secret: |',
      '      block',
      '      secret',
      '    password: hunter2',
      'authTokens: [t1, t2]',
      'tokens: { dist: constant, value: 40 }',
      'after: 1',
      '',
    ].join('\n');
    const out = redact(text);
    for (const secret of ['sk-live-123', 'quoted secret', 'Bearer abc', 'zzz', 'block', 'hunter2', 't1', 't2']) lacks(out, secret);
    expect(out).toContain(`apiKey: "${fingerprint('sk-live-123')}"   # trailing comment`);
    expect(out).toContain(`Authorization: "${fingerprint('Bearer abc')}"`);
    expect(out).toContain(`client_secret: "${fingerprint('block\nsecret\n')}"\n    password:`);
    expect(out).toContain('# a comment stays\nname: demo   # so does this one\nkeys:\n  count: 4\n');
    expect(out).toContain('accept: json');
    expect(out).toContain('tokens: { dist: constant, value: 40 }'); // an LLM's tokens, not a secret
    expect(out).toContain('values: [a, b]');
    // Still YAML, same shape.
    const parsed = parse(out) as { keys: { count: number }; after: number };
    expect(parsed.keys.count).toBe(4);
    expect(parsed.after).toBe(1);
  });

  it('fingerprints are sha256, first 8 hex digits; env var references are kept', () => {
    expect(fingerprint('abc')).toBe('sha256:ba7816bf');
    expect(redact('apiKey: ${OPENAI_KEY}\ntoken: $TOKEN\nsecret: env:S\n')).toBe('apiKey: ${OPENAI_KEY}\ntoken: $TOKEN\nsecret: env:S\n');
    expect(redact('keys: [sk-1, $K2]\n')).toBe(`keys: ["${fingerprint('sk-1')}", $K2]\n`);
  });

  it('text that does not parse is redacted line by line', () => {
    expect(redact('apiKey: sk-1\nbroken: [\n')).toBe(`apiKey: "${fingerprint('sk-1')}"\nbroken: [\n`);
  });

  it('the page shows the redacted YAML, never the secret', () => {
    const page = htmlReport(results(), { ...facts, source: 'name: x\napiKey: sk-very-secret\n' });
    lacks(page, 'sk-very-secret');
    has(page, fingerprint('sk-very-secret'));
  });
});

describe('reports/index.html', () => {
  it('lists every report folder with its scenario and date, newest first, linking to each page', () => {
    const root = mkdtempSync(join(tmpdir(), 'gatesim-index-'));
    const make = (dir: string, iso: string, json: string | null, html = true): void => {
      mkdirSync(join(root, dir));
      const files: string[] = [];
      if (json !== null) files.push('results.json');
      if (html) files.push('index.html');
      if (json !== null) writeFileSync(join(root, dir, 'results.json'), json);
      if (html) writeFileSync(join(root, dir, 'index.html'), '<!doctype html>');
      for (const f of files) utimesSync(join(root, dir, f), new Date(iso), new Date(iso));
    };
    make('old', '2024-01-01T00:00:00Z', JSON.stringify(results({ scenario: 'old one' })));
    make('new', '2025-06-01T12:30:00Z', JSON.stringify(results({ scenario: '<new>', description: 'd & d' })));
    make('json-only', '2024-06-01T00:00:00Z', JSON.stringify(results({ scenario: 'no page' })), false);
    make('broken', '2023-01-01T00:00:00Z', '{not json');
    mkdirSync(join(root, 'empty'));
    writeFileSync(join(root, 'README.md'), 'x');
    const entries = scanReports(root);
    expect(entries.map((e) => e.dir)).toEqual(['new', 'json-only', 'old', 'broken']);
    expect(entries[0]).toMatchObject({ scenario: '<new>', runs: 2, variants: 2, page: 'index.html' });
    expect(entries[1]!.page).toBe('results.json');
    expect(entries[3]!.scenario).toBeNull();
    const html = indexPage(entries);
    has(html, '<a href="new/index.html">new</a>');
    has(html, '<a href="json-only/results.json">json-only</a>');
    has(html, '&lt;new&gt;<div class="muted">d &amp; d</div>');
    has(html, '2025-06-01 12:30 UTC');
    has(html, 'unreadable results.json');
    expect(html.indexOf('new/index.html')).toBeLessThan(html.indexOf('old/index.html'));
    const written = writeIndex(root);
    expect(written).toBe(join(root, 'index.html'));
  });

  it('an empty or missing root gives an empty list', () => {
    expect(scanReports(join(tmpdir(), 'gatesim-does-not-exist'))).toEqual([]);
    expect(indexPage([])).toContain('0 reports');
  });
});

describe('a serving sweep page', () => {
  /** One option per point of a concurrency sweep, with sizes: output tokens/s 50, 400, 900, 960, 1000. */
  function serving() {
    const runs = [1, 10, 50, 100, 200].map((c, i) => {
      const v = variant('default', { ok: 4 });
      const out = [50, 400, 900, 960, 1000][i]!;
      v.metrics.tokens = { prompt: 1000, output: 2 * out, reservedUnused: 0, perS: { prompt: 500, output: out, total: out + 500 } };
      v.metrics.ttftMs = { mean: 100 * c, p50: 100 * c, p90: null, p99: null };
      v.metrics.itlMs = { mean: 20, p50: 20, p90: null, p99: null };
      return { ...run(`workload.concurrency=${c}`, [v]), point: { 'workload.concurrency': c } };
    });
    return results({ runs, baseline: 'default', sweep: { fields: ['workload.concurrency'], dimensions: 1 }, reference: { 'workload.concurrency=50': { default: { outputTokensPerS: 880 } } } });
  }

  it('answers where to run, with its table, and keeps the points folded instead of a section each', () => {
    const html = htmlReport(serving(), facts);
    has(html, 'One server, one option: the answer is where to run it.');
    has(html, '<th scope="row">run here</th><td class="num">100</td>');
    lacks(html, 'Ranked by the goal');
    // No section per point, even the one with published figures: the sweep chart and the folded tables carry them.
    lacks(html, 'id="run-3"');
    has(html, "Every point's full table (5)");
  });

  it('a sweep of two options keeps the best-option answer and a section per point with published figures', () => {
    const r = serving();
    for (const x of r.runs) x.variants.push(variant('other', { ok: 2 }));
    const html = htmlReport(r, facts);
    has(html, 'Ranked by the goal');
    has(html, 'id="run-3"');
  });
});
