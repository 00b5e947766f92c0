import type { Results } from '../metrics/results.js';

const ms = (x: number | null): string => (x === null ? '–' : x.toFixed(1));

/**
 * A run split over shards (`gatesim merge`): each shard's start, clock offset and lateness, as a
 * table for the terminal, results.md and the page (absent for a run in one process). Structurally
 * a report/table.ts Table, which imports this file.
 */
export function shardsTable(results: Results): { title: string; header: string[]; rows: string[][]; notes: string[]; remarks: string[] } | undefined {
  const s = results.shards;
  if (!s) return undefined;
  const timed = s.offsetMethod === 'redis-time';
  const offset = (o: number | null, e: number | null): string => (o === null ? '–' : `${o.toFixed(2)} ± ${(e ?? 0).toFixed(2)}`);
  const rows = s.shards.map((x) => [
    `shard ${x.index} of ${s.count}`,
    String(x.requests),
    ms(x.startLateMs),
    offset(x.offsetMs, x.offsetErrorMs),
    x.offsetAfterMs === null ? '–' : x.offsetAfterMs.toFixed(2),
    ms(x.lateness.p50),
    ms(x.lateness.p99),
    ms(x.lateness.max),
  ]);
  rows.push(['all shards', String(s.shards.reduce((a, x) => a + x.requests, 0)), '', '', '', ms(s.lateness.p50), ms(s.lateness.p99), ms(s.lateness.max)]);
  return {
    title: `Shards: ${s.count} processes from ${new Date(s.startAt).toISOString()}`,
    header: ['shard', 'requests (count)', 'start late (wall ms)', 'clock offset at start (wall ms)', 'clock offset after (wall ms)', 'lateness p50 (wall ms)', 'lateness p99 (wall ms)', 'lateness max (wall ms)'],
    rows,
    notes: [],
    remarks: [
      timed
        ? "clock offset: Redis TIME − the shard's clock, from the shortest of several round trips to the key pool's Redis (± half that round trip); each shard waited for --start-at on Redis's clock (its own, corrected by this offset), so the shards started together whatever their clocks said"
        : 'clock offset: not measured (no Redis key pool); the shards\' clocks are taken as synchronised (NTP), with an error this report cannot know',
      'lateness: how long after it was due each arrival (open model) or worker\'s next request (closed model) fired, by the shard\'s own clock; start late is how late it began against the start it waited for (--start-at, on Redis\'s clock when the offset was measured)',
    ],
  };
}
