/**
 * Every bound and floor a scenario is checked against, in one place (docs/internals.md, "Limits and
 * safety" table is this file in prose). A plan that passes them never makes the engine fail: every
 * size it allocates from is bounded, every repeating timer has a floor, every time is finite.
 *
 * Memory figures measured on this machine: a run peaks at 250 MB with a million requests and
 * 1,179 MB with ten million; the attempt log takes ~45 bytes per attempt; a connection pool per
 * (key, provider) ~1 KB (a million pairs: ~1 GB).
 */

/** A year in ms: the longest duration (and distribution mean or p99) a file may give. */
export const MAX_DURATION_MS = 365 * 24 * 3_600_000;
/** How the longest duration reads in messages. */
export const MAX_DURATION_TEXT = '8760h (a year)';

/**
 * Floor of every interval that drives a repeating timer (`keys.wait.poll`,
 * `health.active.interval`) and of every limit window: 1 ms, the resolution of Node's timers, so
 * the same file runs in real mode; at 0 such a timer would fire forever at the same instant.
 */
export const MIN_TIMER_MS = 1;

/** Re-checks of one polling waiter before it gives up (keys.acquireTimeout ÷ keys.wait.poll). */
export const MAX_POLLS_PER_WAIT = 1_000_000;

/** The fastest arrival rate, per ms (1,000,000/s): a 1 µs mean gap, far above the rounding of float ms at a year (~4 ns). */
export const MAX_ARRIVALS_PER_MS = 1000;
/** The slowest arrival rate, per ms: one per year. */
export const MIN_ARRIVALS_PER_MS = 1 / MAX_DURATION_MS;

/** Requests in one simulation: the recorder holds ~110 MB per million (10 M ≈ 1.1 GB). */
export const MAX_REQUESTS = 10_000_000;
/** Attempts per request: the recorder's per-request attempt counter is 8 bits; 100 leaves room. */
export const MAX_ATTEMPTS = 100;
/** requests × attempts: the attempt log if every attempt failed and was retried (~45 B each, ≈ 0.9 GB). */
export const MAX_ATTEMPT_LOG = 20_000_000;
/** Closed-model workers or the open model's in-flight cap (never more than the requests). */
export const MAX_CONCURRENCY = MAX_REQUESTS;
/** Distinct client ids: consistent-hash keeps an Int32 per client and remaps them all on each health change. */
export const MAX_CLIENTS = 1_000_000;
/** API keys: every decision scans the keys (least-used is O(keys)); results carry a series per key. */
export const MAX_KEYS = 10_000;
/** Providers: the engine has 4096 handler ids, each provider takes 2; every pick is O(providers). */
export const MAX_PROVIDERS = 1_000;
/** keys × providers: a connection pool per (key, provider), ~1 KB each. */
export const MAX_KEY_PROVIDER_PAIRS = 100_000;
/** The count of a limit (`3/min` → 3): sliding-log keeps that many times per key. */
export const MAX_LIMIT_COUNT = 1_000_000;
/** Window entries the limiters hold in all (keys × entries per key, and the providers' per-key logs), 8 bytes each. */
export const MAX_WINDOW_ENTRIES = 10_000_000;
/** bucket-window / bucket-published buckets per key. */
export const MAX_BUCKETS = 1_000;
/** token-bucket / gcra burst. */
export const MAX_BURST = MAX_LIMIT_COUNT;
/** p2c draws per pick: O(choices) per decision. */
export const MAX_CHOICES = 100;
/** consistent-hash points per provider (providers × vnodes ≤ 1,000,000 ring points). */
export const MAX_VNODES = 1_000;
/** Provider capacity, connect.max, breaker counts, smooth-weighted maxFails, request maxTokens. */
export const MAX_COUNT = 1_000_000;
/** Provider weight: sums of up to 1,000 weights stay exact enough in float. */
export const MAX_WEIGHT = 1_000_000;
/** A slow fault's latency multiplier. */
export const MAX_FACTOR = 1_000;
/** Steps a quota may take in a run (`limit.steps`): each is a window per key (or per organisation) kept from its moment on. */
export const MAX_STEPS = 100;
/** Other tenants per provider (`providers[].tenants`): each schedules its own requests. */
export const MAX_TENANTS = 100;
/** health.cooldown.fails: each provider keeps a ring of that many failure times. */
export const MAX_COOLDOWN_FAILS = 1_000;

/** A scenario file's size: a full 1 MiB file of 262,120 samples loads (and runs) in ~5 s within a 256 MB heap. */
export const MAX_FILE_BYTES = 1024 * 1024;
/** A dataset file (`workload.dataset`, a regular file only): bytes read at most (a million rows of JSON fit). */
export const MAX_DATASET_BYTES = 64 * 1024 * 1024;
/** A dataset's rows: two Int32 columns of a million rows are 8 MB. */
export const MAX_DATASET_ROWS = 1_000_000;
/** Columns of a dataset's CSV row: a 64 MiB line of commas would otherwise be 64 M cells. */
export const MAX_DATASET_COLUMNS = 1_000;
/** Nesting of mappings and lists (after aliases): the loader and validator recurse on it. */
export const MAX_DEPTH = 64;
/** Values of a file once aliases are expanded (an alias bomb expands exponentially). */
export const MAX_VALUES = 1_000_000;
/** Simulations in one file: sweep points (or runs) × variants. */
export const MAX_SIMULATIONS = 10_000;
/** Simulations × values of the file: the checking work of loading it (~1 µs per value). */
export const MAX_CHECKED_VALUES = 5_000_000;

/** A goal's text (`goal:` or `--goal`): long enough for every metric twice, short enough to read in one line. */
export const MAX_GOAL_TEXT = 1000;
/** Constraints of one goal. */
export const MAX_GOAL_CONSTRAINTS = 20;

/** `gatesim search --seeds K`: simulations per probe. */
export const MAX_SEARCH_SEEDS = 100;
/** `gatesim search`: grid points between LOW and HIGH (LOW..HIGH ÷ step); bisection takes ~log2 of it probes (30 at most). */
export const MAX_SEARCH_GRID = 1_000_000_000;

/**
 * `workload.trace`: rows replayed at most (in the window, before `scale`). The replay holds one
 * chunk of the file at a time; what grows with the rows is the recorder (~110 MB per million requests).
 */
export const MAX_TRACE_ROWS = MAX_REQUESTS;
/** A trace line (a CSV record or a JSONL object): the reader holds at most a chunk and one line. */
export const MAX_TRACE_LINE_BYTES = 1024 * 1024;
/** A trace file's bytes as read (after gunzip for a .gz): 10 M rows of JSONL with a few fields fit. */
export const MAX_TRACE_BYTES = 16 * 1024 * 1024 * 1024;
/** Distinct tenant or model values of a trace: each is checked against the scenario's routes once. */
export const MAX_TRACE_NAMES = 10_000;
/** `workload.trace.speed`: from a millionth (a 1 s gap becomes 11.6 days) to a million times faster. */
export const MAX_TRACE_SPEED = 1_000_000;
/** `workload.trace.scale`: copies of the traffic superposed at most (the requests also stay ≤ MAX_REQUESTS). */
export const MAX_TRACE_SCALE = 100;

/**
 * A search over several fields (`--choose`, several `--vary`): at most this many simulations
 * (`--budget N`, and a CPU budget too), as many as a sweep; search.json keeps each one's metrics
 * (~3.5 kB each, ~35 MB at the bound).
 */
export const MAX_SEARCH_BUDGET = 10_000;
/** The default budget of such a search, in simulations. */
export const DEFAULT_SEARCH_BUDGET = 300;
/** A CPU-time budget (`--budget 10min`): from 1 s to a day. */
export const MIN_SEARCH_CPU_MS = 1000;
export const MAX_SEARCH_CPU_MS = 24 * 3_600_000;
/** Values one `--choose` lists, and fields one search varies and chooses. */
export const MAX_CHOOSE_VALUES = 100;
export const MAX_SEARCH_FIELDS = 20;
/** Configurations whose goal metric is within this share of the best are compared by cost (`--tolerance`, 0 to 0.5). */
export const MAX_SEARCH_TOLERANCE = 0.5;

/** `gatesim worker --concurrency`: threads of one worker process. */
export const MAX_QUEUE_CONCURRENCY = 256;
/** `--queue-deadline`: the whole collection of a queued study, wall ms (1 s to 7 days). */
export const MIN_QUEUE_DEADLINE_MS = 1000;
export const MIN_QUEUE_DEADLINE_TEXT = '1s';
export const MAX_QUEUE_DEADLINE_MS = 7 * 24 * 3_600_000;
export const MAX_QUEUE_DEADLINE_TEXT = '168h (a week)';
/** GATESIM_QUEUE_LOCK_MS (a worker's job lock, wall ms): from half a second to an hour. */
export const MIN_QUEUE_LOCK_MS = 500;
export const MAX_QUEUE_LOCK_MS = 3_600_000;
/** GATESIM_QUEUE_IDLE_MS (how long a collector waits for a worker before saying none took a task): 100 ms to an hour. */
export const MIN_QUEUE_IDLE_MS = 100;
export const MAX_QUEUE_IDLE_MS = 3_600_000;
