import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { filesUnder, gatesim, tmp } from './helpers/cli.js';

/** Runs the CLI with its stdout closed after the first chunk (as `| head -1` does). */
async function closedEarly(args: string[]): Promise<{ code: number | null; stderr: string; got: number }> {
  let got = 0;
  const r = await gatesim(args, {
    onStart: (p) =>
      p.stdout!.once('data', (d: Buffer) => {
        got = d.length;
        p.stdout!.destroy();
      }),
  });
  return { code: r.code, stderr: r.stderr, got };
}

describe('the command line behaves', () => {
  it('`schema | head` and `--format json | head` end quietly: exit 0, nothing on stderr', async () => {
    const schema = await closedEarly(['schema']);
    expect(schema.got).toBeGreaterThan(0);
    expect(schema).toMatchObject({ code: 0, stderr: '' });
    const json = await closedEarly(['scenarios/high-concurrency-sweep.yaml', '--format', 'json', '-q', '--out', tmp()]);
    expect(json).toMatchObject({ code: 0, stderr: '' });
  });

  it('a mistyped scenario path is one line with the closest file, exit 2', async () => {
    const r = await gatesim(['scenarios/high-concurency.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('gatesim: scenarios/high-concurency.yaml: no such scenario file or folder (did you mean scenarios/high-concurrency.yaml?)\n');
    const far = await gatesim(['nowhere/x.yaml']);
    expect(far.stderr).toBe('gatesim: nowhere/x.yaml: no such scenario file or folder\n');
    const serve = await gatesim(['serve', 'scenarios/serve-chek.yaml']);
    expect(serve.code).toBe(2);
    expect(serve.stderr).toContain('did you mean scenarios/serve-check.yaml?');
  });

  it('--help shows the commands as the README types them, no line over 80 columns', async () => {
    const r = await gatesim(['--help']);
    expect(r.code).toBe(0);
    const long = r.stdout.split('\n').filter((l) => l.length > 80);
    expect(long).toEqual([]);
    expect(r.stdout).toMatch(/^ {2}npm run sim -- scenarios\/high-concurrency\.yaml$/m);
    expect(r.stdout).toMatch(/^ {2}npm run serve -- scenarios\/serve-check\.yaml --time-scale 0\.01$/m);
    expect(r.stdout).not.toContain('gatesim.js');
  });

  it('--out that cannot hold reports is one line before anything runs: empty, a file, /proc', async () => {
    const cases: [string, RegExp][] = [
      ['', /^gatesim: --out: expected a folder path, got ""\n$/],
      ['README.md', /^gatesim: --out README\.md: expected a folder, got a file\n$/],
      ['/proc/gatesim-x', /^gatesim: --out \/proc\/gatesim-x: cannot create \/proc\/gatesim-x \(\w+\)\n$/],
    ];
    for (const [out, line] of cases) {
      const r = await gatesim(['scenarios/app-id-manager.yaml', '--out', out]);
      expect(r.code, out).toBe(2);
      expect(r.stderr, out).toMatch(line);
      expect(r.stdout, out).toBe('');
    }
  });

  it('report folders stay inside --out whatever the file is called (`...yaml`, `..yaml`, `index.html.yaml`)', async () => {
    const dir = tmp();
    const out = join(dir, 'out');
    const text = readFileSync('scenarios/app-id-manager.yaml', 'utf8');
    for (const name of ['...yaml', '..yaml', 'index.html.yaml', 'we ird$name.yaml']) {
      writeFileSync(join(dir, name), text);
      const r = await gatesim([join(dir, name), '--out', out, '-q']);
      expect(r.code, name).toBe(0);
    }
    expect(readdirSync(dir).sort()).toEqual(['...yaml', '..yaml', 'index.html.yaml', 'out', 'we ird$name.yaml']);
    expect(readdirSync(out).sort()).toEqual(['index.html', 'index.html-report', 'scenario', 'we-ird-name']);
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain('<h1>gatesim reports</h1>');
  });
});

describe('gatesim report reads nothing but a valid results.json', () => {
  it('a results.json naming /etc/passwd as its file shows no line of it; a non-conforming one is one line, exit 2', async () => {
    const out = tmp();
    expect((await gatesim(['scenarios/app-id-manager.yaml', '--out', out, '-q'])).code).toBe(0);
    const file = join(out, 'app-id-manager', 'results.json');
    const results = JSON.parse(readFileSync(file, 'utf8'));
    delete results.source;
    writeFileSync(file, JSON.stringify({ ...results, file: '/etc/passwd' }));
    const r = await gatesim(['report', file]);
    expect(r.code).toBe(0);
    const page = readFileSync(join(out, 'app-id-manager', 'index.html'), 'utf8');
    expect(page).not.toContain('root:x:0:0');
    writeFileSync(file, JSON.stringify({ ...results, runs: [{ name: 'x', variants: [{ name: 'v' }] }] }));
    const bad = await gatesim(['report', file]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^gatesim: .*results\.json: not a gatesim results file \(gatesim\.results\/v1\): \/runs\/0\/variants\/0: must have required property 'metrics'\n$/);
  });
});

describe('large sweeps', () => {
  it('write compact results (series kept only where published figures are) and say so; --full writes all; the index reads summary.json', async () => {
    const dir = tmp();
    const file = join(dir, 'big.yaml');
    const points = Array.from({ length: 260 }, (_, i) => i + 1);
    writeFileSync(file, `name: big
workload: { requests: 4, concurrency: 2 }
keys: { count: 100 }
providers: [{ name: a, latency: 10ms }]
variants: [{ name: one }, { name: two, workload: { concurrency: 1 } }]
sweep: { workload.requests: [${points.join(', ')}] }
reference: { workload.requests=7: { one: { totalTimeMs: 20 } } }
`);
    const out = join(dir, 'r');
    const r = await gatesim([file, '--out', out, '--jobs', '1']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('results.json is compact: 260 points');
    const results = JSON.parse(readFileSync(join(out, 'big', 'results.json'), 'utf8'));
    expect(results.compact).toBe(true);
    expect(results.runs[0].variants[0].series).toBeUndefined();
    expect(results.runs[6].name).toBe('workload.requests=7');
    expect(results.runs[6].variants[0].series.t.length).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(join(out, 'big', 'summary.json'), 'utf8'))).toMatchObject({ scenario: 'big', runs: 260, variants: 2, compact: true });
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain('260 runs × 2 variants');
    const full = await gatesim([file, '--out', join(dir, 'full'), '--jobs', '1', '--full', '-q']);
    expect(full.code).toBe(0);
    const all = JSON.parse(readFileSync(join(dir, 'full', 'big', 'results.json'), 'utf8'));
    expect(all.compact).toBeUndefined();
    expect(all.runs.every((x: { variants: { series?: unknown }[] }) => x.variants.every((v) => v.series))).toBe(true);
    // --full has a bound: one line before anything runs.
    const huge = join(dir, 'huge.yaml');
    writeFileSync(huge, readFileSync(file, 'utf8').replace('keys: { count: 100 }', 'keys: { count: 10000 }'));
    const refused = await gatesim([huge, '--out', join(dir, 'h'), '--full']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^gatesim: --full: 520 simulations would write \d+ M series values, more than 50 M/);
    expect(existsSync(join(dir, 'h'))).toBe(false);
  });
});

describe('the compiled CLI', () => {
  it('leaves no per-process files and prunes what an interrupted build left', async () => {
    const cache = tmp('gatesim-cache-');
    const stale = join(cache, '.tmp-0000-1');
    mkdirSync(stale);
    utimesSync(stale, new Date(Date.now() - 3600_000), new Date(Date.now() - 3600_000));
    const env = { GATESIM_CACHE_DIR: cache };
    for (let i = 0; i < 2; i++) expect((await gatesim(['--version'], { env })).code).toBe(0);
    const names = readdirSync(cache);
    expect(names).toHaveLength(1);
    expect(existsSync(join(cache, names[0]!, 'ok'))).toBe(true);
    expect(readdirSync(join(cache, names[0]!)).filter((f) => /\d{3,}/.test(f))).toEqual([]);
  });

  // Acting as another user needs root and runuser (CI runs as root).
  const asAnotherUser = process.getuid?.() === 0 && spawnSync('runuser', ['--help']).status === 0;
  it.skipIf(!asAnotherUser)('runs from a read-only install (another user, no writable install folder or home)', async () => {
    const copy = tmp('gatesim-ro-');
    for (const part of ['bin', 'src', 'scenarios', 'package.json']) cpSync(part, join(copy, part), { recursive: true });
    symlinkSync(join(process.cwd(), 'node_modules'), join(copy, 'node_modules'));
    spawnSync('chmod', ['-R', 'a+rX,go-w', copy]);
    const before = filesUnder(join(copy, 'src')).length + filesUnder(join(copy, 'bin')).length;
    const out = tmp('gatesim-ro-out-');
    spawnSync('chmod', ['a+rwx', out]);
    const r = spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, join(copy, 'bin', 'gatesim.js'), join(copy, 'scenarios', 'app-id-manager.yaml'), '--out', out, '-q'], {
      env: { PATH: process.env.PATH, HOME: '/nonexistent' },
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(existsSync(join(out, 'app-id-manager', 'results.json'))).toBe(true);
    expect(filesUnder(join(copy, 'src')).length + filesUnder(join(copy, 'bin')).length).toBe(before);
  });
});
