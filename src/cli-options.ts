/**
 * The command line's definitions as data: the options of each command, their descriptions and the
 * examples of --help. src/cli.ts hands them to yargs; the docs generator (src/docs.ts) writes
 * docs/command-line.md from the same objects, so the page cannot drift from what yargs parses.
 */
import type { Options } from 'yargs';
import { MAX_KEYS } from './providers/server.js';
import { DEFAULT_SEARCH_BUDGET, MAX_QUEUE_CONCURRENCY, MAX_QUEUE_DEADLINE_TEXT, MAX_SEARCH_BUDGET, MAX_SEARCH_SEEDS, MAX_SEARCH_TOLERANCE, MIN_QUEUE_DEADLINE_TEXT } from './core/limits.js';

/** `--queue`: the simulations of a run or a search on `gatesim worker` processes through Redis (docs/queue.md). */
export const queueOptions = {
  queue: { type: 'string', describe: 'redis://host:port[/db]: send the simulations to a BullMQ queue there, run by `gatesim worker` processes on any machine (docs/queue.md)' },
  'queue-deadline': { type: 'string', default: '24h', describe: `--queue: the longest the whole collection may take, ${MIN_QUEUE_DEADLINE_TEXT}–${MAX_QUEUE_DEADLINE_TEXT}; past it, what came back is written, marked partial` },
} as const satisfies Record<string, Options>;

/** The options of `gatesim worker`. */
export const workerOptions = {
  queue: { type: 'string', demandOption: true, describe: 'redis://host:port[/db]: the Redis of the studies to take simulations from' },
  concurrency: { type: 'number', describe: `simulations at once, each on its own thread (1–${MAX_QUEUE_CONCURRENCY}; default: one per core)` },
  verbose: { type: 'boolean', default: false, describe: 'a line on stderr per task taken and finished' },
} as const satisfies Record<string, Options>;

export const WORKER_EXAMPLES = `Examples:
  npm run sim -- worker --queue redis://10.0.0.5:6379
      on each machine: take simulations from that Redis, one per core
  npm run sim -- scenarios/high-concurrency-sweep.yaml \\
      --queue redis://10.0.0.5:6379
      the sweep's simulations run by those workers; reports written here`;

/** The options of a run (`npm run sim -- FILE …`), declared once: yargs parses them, and their types are what it parses to. */
export const runOptions = {
  seed: { type: 'number', describe: 'override the scenario seed' },
  set: { type: 'string', array: true, describe: 'override a field: --set workload.concurrency=20 (repeatable)' },
  format: { choices: ['table', 'markdown', 'json', 'none'] as const, default: 'table' as const, describe: 'what to print on stdout' },
  out: { type: 'string', default: 'reports', describe: 'reports folder (results go to OUT/<scenario>/)' },
  quiet: { type: 'boolean', default: false, alias: 'q', describe: 'no progress on stderr' },
  open: { type: 'boolean', default: false, describe: 'open the HTML report in the system browser' },
  only: { type: 'string', array: true, describe: 'run only these variants (repeatable)' },
  mode: { choices: ['sim', 'real'] as const, default: 'sim' as const, describe: 'sim: virtual time; real: live HTTP endpoints (providers[].url, keys from keys.env)' },
  'time-scale': { type: 'number', default: 1, describe: 'real mode: wall time per scenario time (use the same as gatesim serve)' },
  guard: { type: 'number', default: 50, describe: 'real mode: wall ms added to each client-side window for network jitter' },
  jobs: { type: 'number', describe: 'sweeps and folders: worker threads (default: one per core when there are 1M requests or more to simulate; 1 = none)' },
  'max-duration': { type: 'number', default: 600, describe: 'real mode: end each variant after this many wall seconds (marked truncated; the next still runs)' },
  cooldown: { type: 'string', describe: "real mode: wait between variants (0 = none; default: reset a gatesim serve, else wait for the providers' windows)" },
  full: { type: 'boolean', default: false, describe: "large sweeps: write every point's series and latency CDF (results.json is compact otherwise)" },
  goal: { type: 'string', describe: 'what the verdict ranks by, instead of the file\'s goal: "maximise goodput subject to 429s = 0, p99 ttft <= 2s" (docs/goals.md)' },
  // Real mode over several machines (docs/distributed-real.md).
  shard: { type: 'string', describe: 'real mode: send only shard I of N of the seeded schedule (1/2, 2/2 …), from --start-at, and write OUT/<scenario>/shard-I-of-N.json for gatesim merge' },
  'start-at': { type: 'number', describe: "with --shard: the shared start instant in epoch milliseconds, on each machine's own clock (at most a week ahead)" },
  shards: { type: 'number', describe: 'real mode with --queue: split the run into N shards, one for each `gatesim worker` that takes one, all starting --start-in from now; the shard files come back and are merged into the report (2–1000)' },
  'start-in': { type: 'string', default: '10s', describe: 'with --shards: how long from now every shard starts sending (1s–1h): long enough for the workers to take their shards and connect' },
  ...queueOptions,
} as const satisfies Record<string, Options>;

/** The options of `gatesim search`. */
export const searchOptions = {
  vary: { type: 'string', array: true, describe: 'a field and its range: FIELD=LOW..HIGH, a rate with its unit (workload.arrivals.rate=0.5/s..20/s) or a count (keys.count=1..16); one alone: bisection; repeatable, or with --choose: a search over several fields' },
  choose: { type: 'string', array: true, describe: 'a field and the values to choose from, each applied like --set: FIELD=A,B,… (keys.limiter=sliding-log,gcra; balancer=round-robin,availability); repeatable' },
  budget: { type: 'string', describe: `several fields: simulations (1–${MAX_SEARCH_BUDGET.toLocaleString('en')}, default ${DEFAULT_SEARCH_BUDGET}) or CPU time (1s–24h, such as 10min), the file as written's runs included` },
  tolerance: { type: 'number', default: 0.01, describe: `several fields: configurations within this share of the best goal metric are ranked by keys, fewest first (0–${MAX_SEARCH_TOLERANCE})` },
  goal: { type: 'string', describe: "what must hold: \"maximise goodput subject to 429s = 0, p99 key wait <= 1s\" (default: the file's goal:, else no 429s and no quota violations)" },
  seeds: { type: 'number', default: 3, describe: `replications per probe: the scenario seed, then the next ones; a probe holds only if it holds in all (1–${MAX_SEARCH_SEEDS})` },
  step: { type: 'number', describe: 'precision of the answer, in the field\'s unit (rates per second; default: 1 for counts, about a hundredth of the range for rates)' },
  smallest: { type: 'boolean', default: false, describe: 'the smallest value for which the goal holds (fewest keys), instead of the largest (most arrivals)' },
  largest: { type: 'boolean', default: false, describe: 'the largest value for which the goal holds (the default)' },
  seed: { type: 'number', describe: 'override the scenario seed (the first of the replications)' },
  set: { type: 'string', array: true, describe: 'override a field before the search: --set keys.count=8 (repeatable)' },
  only: { type: 'string', array: true, describe: 'search only these variants (repeatable)' },
  format: { choices: ['table', 'markdown', 'json', 'none'] as const, default: 'table' as const, describe: 'what to print on stdout' },
  out: { type: 'string', default: 'reports', describe: 'reports folder (the search goes to OUT/<scenario>-search/)' },
  jobs: { type: 'number', describe: 'worker threads (default: one per core when a probe simulates 100k requests or more; 1 = none)' },
  quiet: { type: 'boolean', default: false, alias: 'q', describe: 'no progress on stderr' },
  open: { type: 'boolean', default: false, describe: 'open the page in the system browser' },
  ...queueOptions,
} as const satisfies Record<string, Options>;

export const SEARCH_EXAMPLES = `Examples:
  npm run sim -- search scenarios/capacity.yaml \\
      --vary workload.arrivals.rate=0.1/s..4/s
      the most requests per second each key limiter carries with no 429s
  npm run sim -- search scenarios/capacity.yaml --smallest \\
      --vary keys.count=1..16 --set workload.arrivals.rate=2/s
      the fewest keys that carry 2 requests per second
  npm run sim -- search FILE --vary workload.concurrency=1..64 \\
      --goal "maximise throughput subject to p99 latency <= 2s"
      the most workers with p99 latency within 2 s
  npm run sim -- search scenarios/capacity.yaml --budget 120 \\
      --choose keys.choice=least-used,random --vary keys.count=1..8 \\
      --set workload.arrivals.rate=1/s
      each limiter x key choice x keys: the most goodput with no 429s`;

/** The examples of --help, as docs/command-line.md shows them; no line over 80 columns. */
export const EXAMPLES = `Examples:
  npm run sim -- scenarios/high-concurrency.yaml
      the connection-pool study; then open reports/high-concurrency/index.html
  npm run sim -- scenarios/high-concurrency.yaml --set keys.count=8 --seed 7
      the same with 8 keys and another seed
  npm run sim -- scenarios/
      every scenario in the folder, then reports/index.html
  npm run sim -- report reports/high-concurrency/results.json
      redraw that report's page from its results
  npm run sim -- search scenarios/capacity.yaml \\
      --vary workload.arrivals.rate=0.1/s..4/s
      the most requests per second with no 429s, for each limiter
  npm run sim -- schema > scenarios/scenario.schema.json
      write the JSON Schema of scenario files
  npm run serve -- scenarios/serve-check.yaml --time-scale 0.01
      the mock provider as an HTTP server on 127.0.0.1:8400
  GATESIM_KEYS=k1,k2 npm run sim -- scenarios/serve-check.yaml \\
      --mode real --time-scale 0.01
      the same scenario against it`;

/** The options of `gatesim serve`. */
export const serveOptions = {
  port: { type: 'number', default: 8400, describe: 'port to listen on (0 = any free port)' },
  host: { type: 'string', default: '127.0.0.1', describe: 'address to listen on' },
  'time-scale': { type: 'number', default: 1, describe: 'wall time per scenario time: 0.01 serves a 60 s window in 0.6 s' },
  seed: { type: 'number', describe: 'override the scenario seed' },
  set: { type: 'string', array: true, describe: 'override a field (repeatable)' },
  'max-keys': { type: 'number', default: MAX_KEYS.default, describe: `distinct keys each provider remembers, least recently used forgotten first (${MAX_KEYS.min}–${MAX_KEYS.max})` },
} as const satisfies Record<string, Options>;

/** The options of `gatesim merge`. */
export const mergeOptions = {
  out: { type: 'string', default: 'reports', describe: 'reports folder (the merged report goes to OUT/<scenario>/)' },
  format: { choices: ['table', 'markdown', 'json', 'none'] as const, default: 'table' as const, describe: 'what to print on stdout' },
  quiet: { type: 'boolean', default: false, alias: 'q', describe: 'no progress on stderr' },
  open: { type: 'boolean', default: false, describe: 'open the HTML report in the system browser' },
} as const satisfies Record<string, Options>;

export const MERGE_EXAMPLES = `Examples:
  AT=$(( $(date +%s%3N) + 30000 ))   # 30 s from now, in epoch ms
  gatesim FILE --mode real --only V --shard 1/2 --start-at $AT   # machine A
  gatesim FILE --mode real --only V --shard 2/2 --start-at $AT   # machine B
  gatesim merge a/FILE/shard-1-of-2.json b/FILE/shard-2-of-2.json
      one report of both, as a single process would write it`;

/** The options of `gatesim report`. */
export const reportOptions = {
  open: { type: 'boolean', default: false, describe: 'open the page in the system browser' },
  quiet: { type: 'boolean', default: false, alias: 'q', describe: 'print nothing on stderr' },
} as const satisfies Record<string, Options>;

/** The options of `gatesim calibrate`. */
export const calibrateOptions = {
  write: { type: 'string', describe: 'also write the provider block (YAML) to this file' },
  format: { choices: ['table', 'json', 'yaml'] as const, default: 'table' as const, describe: 'stdout: the residuals, the provider block and warnings (table), all of it (json), or the provider block alone (yaml)' },
  provider: { type: 'string', describe: 'the provider to calibrate when the run had several (default: the first)' },
  seed: { type: 'number', describe: "seed of the goodness-of-fit test's bootstrap (default: the results' seed)" },
  fit: { type: 'string', describe: "a table's coefficients to fit, comma-separated (default base,perPrefillToken,perDecodeSequence,perKvToken; also perBatchedToken, perDecodeSequence2, perRequest, perPromptToken, perOutputToken — docs/serving-model.md says what each did to the published tables)" },
  points: { type: 'string', describe: "a table's rows to fit, comma-separated labels as the residuals name them, such as concurrency=1,concurrency=25 (default: the lowest load, the highest and the one nearest their geometric middle)" },
} as const satisfies Record<string, Options>;

export const CALIBRATE_EXAMPLES = `Examples:
  npm run sim -- calibrate reports/serve-check/results.json
      fit the provider of a real run: latency, failures, quota shape
  npm run sim -- calibrate probe.json --write provider.yaml
      the same from a probe, the provider block written to a file
  npm run sim -- calibrate scenarios/data/tables/nim-llama-3.1-8b-1.8.0.csv --fit base,perPrefillToken,perDecodeSequence,perBatchedToken
      fit the iteration model to a published table, with the compute roofline freed`;

/** Bounds of `gatesim probe`'s flags: a probe is short by design. */
export const PROBE_LIMITS = { rungs: 12, concurrency: 256, requests: 1000, totalRequests: 5000, seconds: 3600, timeoutS: 600 } as const;

/** The options of `gatesim probe`. */
export const probeOptions = {
  out: { type: 'string', default: 'probe.json', describe: 'where the results (calibrate takes them directly) go' },
  ladder: { type: 'string', default: '1,2,4,8', describe: `requests in flight at each rung, in order (at most ${PROBE_LIMITS.rungs} rungs, each 1–${PROBE_LIMITS.concurrency})` },
  requests: { type: 'number', default: 40, describe: `requests per rung (1–${PROBE_LIMITS.requests}; at most ${PROBE_LIMITS.totalRequests} in all)` },
  'max-duration': { type: 'number', default: 120, describe: `wall seconds for the whole probe (1–${PROBE_LIMITS.seconds}); what was measured by then is kept` },
  timeout: { type: 'number', default: 60, describe: `wall seconds one exchange may take before it is abandoned (1–${PROBE_LIMITS.timeoutS})` },
  'keys-env': { type: 'string', default: 'GATESIM_KEYS', describe: 'environment variable holding the keys, comma-separated (never printed)' },
  model: { type: 'string', default: 'gpt-4o-mini', describe: 'the model each request names' },
  'max-tokens': { type: 'number', default: 16, describe: 'max_tokens of each request' },
  stream: { type: 'boolean', default: false, describe: 'ask for streamed answers (time to first token and per token are measured)' },
  'time-scale': { type: 'number', default: 1, describe: 'wall time per scenario time, for a gatesim serve running time-scaled (the same as its --time-scale); results are in scenario time' },
  quiet: { type: 'boolean', default: false, alias: 'q', describe: 'no progress on stderr' },
} as const satisfies Record<string, Options>;

export const PROBE_EXAMPLES = `Examples:
  GATESIM_KEYS=sk-… npm run sim -- probe https://api.example.com/v1
      a short concurrency ladder (1, 2, 4, 8 in flight), then probe.json
  npm run sim -- calibrate probe.json
      the provider it measured, as a block to paste`;

/** The usage line of the run command (the default command). */
export const USAGE = '$0 FILE [options]\n\nSimulate a scenario file: compare its variants in virtual time and write reports/<name>/.';

/** Every command: its yargs name, what --help says of it, its positional argument and its options. */
export const COMMANDS = {
  run: {
    command: '$0 <file>',
    describe: 'simulate a scenario file or every scenario in a folder (or, with --mode real, run a file against live endpoints)',
    positional: { name: 'file', describe: 'scenario YAML file, or a folder of them' },
    options: runOptions,
    examples: EXAMPLES,
  },
  search: {
    command: 'search <file>',
    describe: 'the largest (or smallest) value of one field for which the goal holds, for each variant, by bisection over seeds; or, over several fields (--choose, several --vary), the best configuration by successive halving',
    positional: { name: 'file', describe: 'scenario YAML file (no sweep:)' },
    options: searchOptions,
    examples: SEARCH_EXAMPLES,
  },
  worker: {
    command: 'worker',
    describe: 'take simulations from the studies on a Redis (started elsewhere with --queue) and run them, until Ctrl-C',
    positional: null,
    options: workerOptions,
    examples: WORKER_EXAMPLES,
  },
  serve: {
    command: 'serve <file>',
    describe: "serve the scenario's mock providers as an OpenAI-compatible HTTP server on loopback",
    positional: { name: 'file', describe: 'scenario YAML file' },
    options: serveOptions,
    examples: null,
  },
  report: {
    command: 'report <results>',
    describe: 'redraw the HTML report (index.html beside it) from a results.json',
    positional: { name: 'results', describe: 'a results.json written by a run' },
    options: reportOptions,
    examples: null,
  },
  merge: {
    command: 'merge <shards..>',
    describe: 'one report (results.json, tables, page) from the shard files of a real run split over machines (--shard), with each shard\'s clock offset and lateness',
    positional: { name: 'shards', describe: 'every shard file of the run (shard-I-of-N.json)' },
    options: mergeOptions,
    examples: MERGE_EXAMPLES,
  },
  calibrate: {
    command: 'calibrate <file>',
    describe: "fit a provider (latency, failures, quota shape, serving) from a real run's results.json or a published table (.csv), with the residual at every point",
    positional: { name: 'file', describe: 'results.json of a real run or a probe, or a .csv table' },
    options: calibrateOptions,
    examples: CALIBRATE_EXAMPLES,
  },
  probe: {
    command: 'probe <url>',
    describe: 'a short concurrency ladder against a live OpenAI-compatible endpoint, bounded in requests and time; writes results that calibrate takes',
    positional: { name: 'url', describe: "the endpoint's base URL (requests go to URL/chat/completions)" },
    options: probeOptions,
    examples: PROBE_EXAMPLES,
  },
  schema: {
    command: 'schema',
    describe: 'print the JSON Schema of scenario files',
    positional: null,
    options: {},
    examples: null,
  },
} as const;
