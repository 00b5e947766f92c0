import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { addSecret, addSecretsIn, addUrlSecrets, clearSecrets, fingerprint, scrub } from '../src/core/secrets.js';
import { redact } from '../src/report/redact.js';
import { filesUnder, gatesim, gatesimServe, tmp } from './helpers/cli.js';

/** The ways a secret could be written out: as is, base64 (std, unpadded, url), URL-encoded. */
function formsOf(secret: string): string[] {
  const b = Buffer.from(secret);
  return [secret, b.toString('base64'), b.toString('base64').replace(/=+$/, ''), b.toString('base64url'), encodeURIComponent(secret)];
}

/** Every place in `outputs` where one of the secrets appears in any form. */
function leaks(secrets: readonly string[], outputs: { name: string; text: string }[]): string[] {
  const found: string[] = [];
  for (const s of secrets) for (const f of formsOf(s)) for (const o of outputs) if (o.text.includes(f)) found.push(`${JSON.stringify(f)} in ${o.name}`);
  return found;
}

describe('the redaction pass', () => {
  afterEach(() => clearSecrets());

  it('replaces a registered secret in every form by its fingerprint, and nothing else', () => {
    addSecret('sk-abcdef-123456');
    const b64 = Buffer.from('sk-abcdef-123456').toString('base64');
    const text = `key sk-abcdef-123456, basic ${b64}, json "sk-abcdef-123456", url ${encodeURIComponent('sk-abcdef-123456')}; sk-abcdef-12345 stays`;
    const out = scrub(text);
    expect(out).not.toContain('sk-abcdef-123456');
    expect(out).not.toContain(b64);
    expect(out.split(fingerprint('sk-abcdef-123456')).length - 1).toBe(4);
    expect(out).toContain('sk-abcdef-12345 stays');
  });

  it('learns URL passwords (also with @ and / percent-encoded) and secret fields of a parsed scenario', () => {
    addUrlSecrets('redis://:p%40ss%2Fword-1@127.0.0.1:6379');
    addSecretsIn({ providers: [{ url: 'http://user:hunter2-pass@host/v1' }], request: { body: { api_key: 'sk-body-999999' } }, keys: { env: 'sk-pasted-key-0001' } });
    const out = scrub('p@ss/word-1 p%40ss%2Fword-1 hunter2-pass sk-body-999999 sk-pasted-key-0001 GATESIM_KEYS');
    expect(out).not.toMatch(/p@ss|p%40ss|hunter2|sk-body|sk-pasted/);
    expect(out).toContain('GATESIM_KEYS');
  });

  it("the page's YAML: secret fields and URL passwords become fingerprints, comments and env names stay", () => {
    const yaml = `# keys come from the environment\nkeys: { env: GATESIM_KEYS, store: { redis: "redis://:pw-secret-77@10.0.0.1:6379" } }\nproviders:\n  - { name: a, url: "http://bob:hunter2-pass@host/v1", latency: 1s }\nrequest: { body: { api_key: sk-body-999999 } }\n`;
    const out = redact(yaml);
    expect(out).not.toMatch(/pw-secret-77|hunter2-pass|sk-body-999999/);
    expect(out).toContain('# keys come from the environment');
    expect(out).toContain('GATESIM_KEYS');
    expect(out).toContain('bob:sha256:');
  });
});

describe('no secret reaches any output of a run', () => {
  const URL_PASS = 'pr0vider-PASS-9f8e7d';
  const SET_URL_PASS = 's3tURL-PASS-0a9b8c';
  const REDIS_PASS = 'r3disPASS-7c6b5a';
  const BODY = 'sk-body-SECRET-4d5e6f';
  const SET_BODY = 'sk-set-SECRET-1a2b3c';
  const ALL = [URL_PASS, SET_URL_PASS, REDIS_PASS, BODY, SET_BODY];

  const scenario = `name: secrets
keys: { count: 2, limit: 3/min, env: GATESIM_KEYS, store: { redis: "redis://:${REDIS_PASS}@127.0.0.1:6390" } }
providers:
  - { name: a, url: "http://user:${URL_PASS}@127.0.0.1:9/v1", latency: 100ms }
  - { name: b, url: "http://127.0.0.1:9/v1", latency: 100ms }
request: { body: { model: m, api_key: ${BODY}, messages: [] } }
workload: { requests: 20, concurrency: 2 }
`;

  it('simulation: stdout, stderr, results.json, results.md, the page and the index hold none of them', async () => {
    const dir = tmp();
    const file = join(dir, 'secrets.yaml');
    writeFileSync(file, scenario);
    const out = join(dir, 'reports');
    const sets = ['--set', `providers.1.url=http://u:${SET_URL_PASS}@127.0.0.1:9/v1`, '--set', `request.body.token=${SET_BODY}`];
    const r = await gatesim([file, '--out', out, ...sets]);
    expect(r.stderr).toContain('wrote');
    expect(r.code).toBe(0);
    const again = await gatesim(['report', join(out, 'secrets', 'results.json')]);
    expect(again.code).toBe(0);
    const outputs = [
      { name: 'stdout', text: r.stdout + again.stdout },
      { name: 'stderr', text: r.stderr + again.stderr },
      ...filesUnder(out).map((f) => ({ name: f.path, text: f.bytes.toString('latin1') })),
    ];
    expect(outputs.length).toBeGreaterThanOrEqual(6);
    expect(leaks(ALL, outputs)).toEqual([]);
    // What is shown instead: the fingerprints, so a reader can tell which value was used.
    const results = filesUnder(out).find((f) => f.path.endsWith('results.json'))!.bytes.toString();
    expect(results).toContain(fingerprint(BODY));
    expect(results).toContain(`--set request.body.token=${fingerprint(SET_BODY)}`);
  });

  it('a scenario error that would echo a secret prints its fingerprint instead', async () => {
    const dir = tmp();
    const file = join(dir, 'pasted.yaml');
    const KEY = 'sk-pasted-KEY-778899';
    writeFileSync(file, `name: pasted\nkeys: { env: ${KEY} }\nproviders: [{ name: a, latency: 1s }]\n`);
    const r = await gatesim([file, '--out', join(dir, 'r'), '--set', `request.body.password=${SET_BODY}`, '--set', `keys.store=redis://:${REDIS_PASS}@host:1`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/keys\.env/);
    expect(leaks([KEY, SET_BODY, REDIS_PASS], [{ name: 'stderr', text: r.stderr }, { name: 'stdout', text: r.stdout }])).toEqual([]);
  });
});

describe('no secret in a dataset file reaches any output', () => {
  const KEY = 'sk-live-DATASET-key-5e6f7a';
  const OTHER = 'sk-live-DATASET-key-8b9c0d';
  // A key file, a password file, and a key where a count belongs, in each format: every one an error.
  const files: Record<string, string> = {
    'keys.csv': `${KEY},output_tokens\n${OTHER},2\n`,
    'shadow.csv': `root:$6$${KEY}$Zx9:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n`,
    'cell.csv': `prompt_tokens,output_tokens\n12,3\n${KEY},4\n`,
    'string.jsonl': `{"prompt_tokens": 1, "output_tokens": 2}\n{"prompt_tokens": "${KEY}", "output_tokens": 2}\n`,
    'bare.jsonl': `{"prompt_tokens": ${KEY}, "output_tokens": 2}\n`,
    'object.jsonl': `{"prompt_tokens": {"${KEY}": 1}, "output_tokens": 2}\n`,
  };

  for (const mode of ['sim', 'real'] as const) {
    it(`${mode}: one line per dataset naming its row, with the key (set in keys.env's variable) in none of stdout, stderr or --out`, async () => {
      const dir = tmp();
      for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
      const file = join(dir, 'planted.yaml');
      writeFileSync(
        file,
        `name: planted
keys: { env: GATESIM_KEYS }
providers: [{ name: a, latency: 100ms, url: "http://127.0.0.1:9/v1" }]
workload: { requests: 5, concurrency: 1, dataset: keys.csv }
variants:
${Object.keys(files).map((n) => `  - { name: ${n}, workload: { dataset: ${n} } }`).join('\n')}
`,
      );
      const out = join(dir, 'reports');
      const r = await gatesim([file, '--out', out, ...(mode === 'real' ? ['--mode', 'real'] : [])], { env: { GATESIM_KEYS: `${KEY},${OTHER}` } });
      expect(r.code).toBe(2);
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(Object.keys(files).length);
      for (const name of Object.keys(files)) expect(lines.filter((l) => l.includes(`workload.dataset: ${join(dir, name)}:`))).toHaveLength(1);
      const outputs = [
        { name: 'stdout', text: r.stdout },
        { name: 'stderr', text: r.stderr },
        ...(existsSync(out) ? filesUnder(out) : []).map((f) => ({ name: f.path, text: f.bytes.toString('latin1') })),
      ];
      expect(leaks([KEY, OTHER, 'root:$6$', 'daemon:*'], outputs)).toEqual([]);
    });
  }
});

describe('URLs that do not parse', () => {
  it('a Redis or provider URL with an unencoded / in its password is one line with the password fingerprinted, however short', async () => {
    const dir = tmp();
    const file = join(dir, 'bad-url.yaml');
    writeFileSync(file, 'name: bad-url\nkeys: { env: K, store: { redis: "redis://:pa/ss@127.0.0.1:1" } }\nproviders: [{ name: a, latency: 1s, url: "http://u:p/w@127.0.0.1:1/v1" }]\n');
    const r = await gatesim([file, '--mode', 'real', '--out', join(dir, 'r')], { env: { K: 'sk-abcdefgh' } });
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/bad-url\.yaml:2:\d+: keys\.store\.redis: expected a Redis URL that parses.*got "redis:\/\/:sha256:[0-9a-f]{8}@127\.0\.0\.1:1"$/);
    expect(lines[1]).toMatch(/providers\.0\.url: expected a URL that parses.*got "http:\/\/u:sha256:[0-9a-f]{8}@127\.0\.0\.1:1\/v1"$/);
    expect(r.stderr).not.toMatch(/pa\/ss|p\/w/);
  });
});

describe('no secret reaches any output of a real run or of serve', () => {
  const KEYS = ['sk-live-REAL-key-aa11bb', 'sk-live-REAL-key-cc22dd'];
  const URL_PASS = 'r3al-URL-PASS-ee33ff';
  const SET_TOKEN = 'sk-set-REAL-gg44hh';

  it('keys from the environment, URL credentials and --set values stay out of both processes and every file', async () => {
    const dir = tmp();
    const file = join(dir, 'real-secrets.yaml');
    writeFileSync(file, `name: real-secrets
workload: { requests: 12, concurrency: 2 }
keys: { env: GATESIM_KEYS, limit: 30/min }
providers: [{ name: mock, latency: 200ms, limit: 3/min }]
variants: [{ name: one }, { name: two }]
`);
    // serve prints its address on its first line; its output is searched too.
    const srv = await gatesimServe([file, '--port', '0', '--time-scale', '0.02'], { env: { GATESIM_RESET_TOKEN: 'reset-TOKEN-secret-0123456789' } });
    const url = srv.url;
    const out = join(dir, 'reports');
    const withCreds = url.replace('http://', `http://user:${URL_PASS}@`);
    const r = await gatesim(
      [file, '--mode', 'real', '--time-scale', '0.02', '--guard', '100', '--out', out, '--set', `providers.0.url=${withCreds}/v1`, '--set', `request.body.token=${SET_TOKEN}`, '--set', 'request.body.model=m', '--set', 'request.body.messages=[]'],
      { env: { GATESIM_KEYS: KEYS.join(','), GATESIM_RESET_TOKEN: 'reset-TOKEN-secret-0123456789' } },
    );
    const stopped = await srv.stop();
    const serveOut = stopped.stdout + stopped.stderr;
    expect(r.stderr).toContain('wrote');
    expect(r.code).toBe(0);
    const results = JSON.parse(filesUnder(out).find((f) => f.path.endsWith('results.json'))!.bytes.toString());
    // Each variant sends its 12 requests (the provider's 3/min per key answers some with 429).
    expect(results.runs[0].variants.map((v: { metrics: { requests: number } }) => v.metrics.requests)).toEqual([12, 12]);
    expect(results.runs[0].variants.every((v: { metrics: { ok: number } }) => v.metrics.ok >= 6)).toBe(true);
    const outputs = [
      { name: 'stdout', text: r.stdout },
      { name: 'stderr', text: r.stderr },
      { name: 'serve output', text: serveOut },
      ...filesUnder(out).map((f) => ({ name: f.path, text: f.bytes.toString('latin1') })),
    ];
    expect(leaks([...KEYS, URL_PASS, SET_TOKEN, 'reset-TOKEN-secret-0123456789'], outputs)).toEqual([]);
    // Keys are named by fingerprint in the results.
    expect(Object.keys(results.runs[0].variants[0].metrics.keys)).toHaveLength(2);
  });
});
