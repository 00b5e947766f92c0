import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { azureTime, DEFAULTS, generateTrace, parseArgs } from '../scripts/gen-trace.js';
import { offeredMetrics } from '../src/metrics/offered.js';
import { Recorder } from '../src/metrics/recorder.js';

/**
 * scripts/gen-trace.ts: the committed synthetic trace is what the script writes with its defaults
 * (regenerating gives the same bytes), in Azure's format, and bursty.
 */
const COMMITTED = 'scenarios/data/bursty-trace.csv';
const ROW = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})\.(\d{7}),(\d+),(\d+)$/;

/** Rows as ms since the first possible time, prompt and output tokens. */
function rows(text: string): { at: number; prompt: number; output: number }[] {
  return text.trimEnd().split('\n').slice(1).map((line) => {
    const m = ROW.exec(line)!;
    const [y, mo, d, h, mi, s, f] = m.slice(1, 8).map(Number) as [number, number, number, number, number, number, number];
    return { at: Date.UTC(y, mo - 1, d, h, mi, s) + f / 10_000 - DEFAULTS.startMs, prompt: Number(m[8]), output: Number(m[9]) };
  });
}

describe('gen-trace', () => {
  const text = generateTrace(DEFAULTS);

  it('regenerating with the default seed gives the committed file, byte for byte; another seed another trace', () => {
    expect(text).toBe(readFileSync(COMMITTED, 'utf8'));
    expect(generateTrace(DEFAULTS)).toBe(text);
    expect(generateTrace({ ...DEFAULTS, seed: 2 })).not.toBe(text);
    expect(Buffer.byteLength(text)).toBeLessThan(1024 * 1024);
  });

  it("writes Azure's header and rows: 7-digit fractional seconds, times in order within the span, sizes in their ranges", () => {
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('TIMESTAMP,ContextTokens,GeneratedTokens');
    expect(lines.slice(1).filter((l) => !ROW.test(l))).toEqual([]);
    const rs = rows(text);
    expect(rs.length).toBeGreaterThan(1000);
    expect(rs.every((r, i) => i === 0 || r.at >= rs[i - 1]!.at)).toBe(true);
    expect(rs[0]!.at).toBeGreaterThanOrEqual(0);
    expect(rs.at(-1)!.at).toBeLessThan(DEFAULTS.hours * 3_600_000);
    expect(rs.every((r) => r.prompt >= 8 && r.prompt <= 16_000 && r.output >= 1 && r.output <= 2_000)).toBe(true);
    expect(azureTime(Date.UTC(2023, 10, 16, 18, 15, 46, 680) + 0.59)).toBe('2023-11-16 18:15:46.6805900');
  });

  it('is bursty and follows a day: the busiest minute carries several times the mean, the middle hour more than the first', () => {
    const rs = rows(text);
    const rec = new Recorder(rs.length, 1, true);
    rs.forEach((r, id) => {
      rec.sized(id, r.prompt, r.output);
      rec.arrived(id, r.at, r.at);
      rec.finish(id, r.at, 0, 1);
    });
    const m = offeredMetrics(rec);
    expect(m.requestsPerMin.peak).toBeGreaterThan(3 * m.requestsPerMin.mean!);
    const hour = (h: number) => rs.filter((r) => r.at >= h * 3_600_000 && r.at < (h + 1) * 3_600_000).length;
    expect(hour(1)).toBeGreaterThan(2 * hour(0));
    // Two kinds of traffic: long code prompts over short chat ones.
    expect(m.sizes!.prompt.p90!).toBeGreaterThan(3 * m.sizes!.prompt.p50!);
  });

  it('checks its arguments: one line naming the option and what it expected', () => {
    expect(parseArgs(['--seed', '7', '--hours', '2', '--rate', '40', '--out', 'x.csv'])).toEqual({ options: { ...DEFAULTS, seed: 7, hours: 2, rate: 40 }, out: 'x.csv' });
    expect(parseArgs(['--rate', '0'])).toEqual({ error: '--rate: expected a number from 0.1 to 10000, got "0"' });
    expect(parseArgs(['--seed', '1.5'])).toEqual({ error: '--seed: expected an integer from 0 to 2147483647, got "1.5"' });
    expect(parseArgs(['--hours'])).toEqual({ error: '--hours: expected a value after it' });
    expect(parseArgs(['--speed', '2'])).toEqual({ error: '--speed: unknown option (expected --seed, --hours, --rate, --start or --out)' });
    expect(parseArgs(['--start', 'yesterday'])).toEqual({ error: '--start: expected an ISO 8601 date-time such as 2024-05-13T00:00:00Z, got "yesterday"' });
    expect(parseArgs(['--start', '2023-11-16T18:15:46Z'])).toEqual({ options: { ...DEFAULTS, startMs: Date.UTC(2023, 10, 16, 18, 15, 46) }, out: undefined });
  });
});
