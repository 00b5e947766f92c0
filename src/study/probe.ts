import { stringify } from 'yaml';

/**
 * `gatesim probe URL`: a short concurrency ladder against a live endpoint, as a scenario that real
 * mode runs — one variant per rung, each `requests` requests with `concurrency` in flight, no
 * client-side limit (the provider's own quota is what is measured), no retries, every exchange
 * within `timeoutS`. The rungs follow each other without a cooldown, so the quota's state runs on
 * from one to the next and calibrate replays them as one timeline. Bounds are checked by the CLI
 * (PROBE_LIMITS); keys come from the environment variable `keysEnv` only.
 */
export interface ProbeSpec {
  url: string;
  ladder: number[];
  requests: number;
  timeoutS: number;
  keysEnv: string;
  model: string;
  maxTokens: number;
  stream: boolean;
}

/** The ladder as written (`1,2,4,8`): whole numbers from 1 to `max`, at most `rungs`; a message when not. */
export function parseLadder(text: string, rungs: number, max: number): number[] | string {
  const parts = text.split(',').map((p) => p.trim());
  const out: number[] = [];
  for (const p of parts) {
    const n = /^\d+$/.test(p) ? Number(p) : NaN;
    if (!(n >= 1 && n <= max)) return `expected requests in flight as whole numbers from 1 to ${max}, comma-separated (such as 1,2,4,8), got ${JSON.stringify(p.slice(0, 20))}`;
    out.push(n);
  }
  if (out.length > rungs) return `expected at most ${rungs} rungs, got ${out.length}`;
  return out;
}

/** The probe's scenario YAML. */
export function probeScenario(p: ProbeSpec): string {
  const doc = {
    name: 'probe',
    description: `A concurrency ladder (${p.ladder.join(', ')} in flight, ${p.requests} requests each) against the endpoint, for gatesim calibrate`,
    seed: 1,
    workload: { requests: p.requests, concurrency: p.ladder[0] },
    keys: { env: p.keysEnv },
    request: { model: p.model, maxTokens: p.maxTokens, stream: p.stream },
    providers: [{ name: 'endpoint', url: p.url, latency: 0, timeout: `${p.timeoutS}s` }],
    retry: { attempts: 1 },
    variants: p.ladder.map((c) => ({ name: `${c} in flight`, workload: { concurrency: c } })),
  };
  return stringify(doc, { lineWidth: 0 });
}
