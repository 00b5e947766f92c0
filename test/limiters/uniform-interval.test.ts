import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UniformInterval } from '../../src/limiters/uniform-interval.js';
import { greedy, maxInWindow, windowContract } from './contract.js';

windowContract<Record<string, never>>({
  type: 'uniform-interval',
  options: fc.constant({}),
  maxFootprint: () => 1,
  burst: () => 1,
  bound: (limit, _o, admitted) => {
    const interval = limit.windowMs / limit.count;
    // The guarantee, in the float expression the limiter decides with.
    for (let i = 1; i < admitted.length; i++) expect(admitted[i - 1]! + interval).toBeLessThanOrEqual(admitted[i]!);
    // Hence at most N in any window W, judged as an exact provider judges it (t + W <= now).
    expect(maxInWindow(admitted, limit.windowMs)).toBeLessThanOrEqual(limit.count);
  },
});

describe('uniform-interval', () => {
  it('3/min: one request every 20 s, even after an idle minute (no burst)', () => {
    const times = [0, 1_000, 2_000, 19_999, 20_000, 20_001, 40_000, 200_000, 200_001, 219_999, 220_000];
    expect(greedy(new UniformInterval(60_000, 3), times)).toEqual([0, 20_000, 40_000, 200_000, 220_000]);
  });

  it('140/min (428.57… ms apart, woken at nextAdmitAt): never 141 in a minute as an exact window counts', () => {
    const w = new UniformInterval(60_000, 140);
    const times: number[] = [];
    let t = 1_234.5;
    for (let i = 0; i < 2_000; i++) {
      times.push(t);
      w.record(t);
      t = w.nextAdmitAt(t);
    }
    expect(maxInWindow(times, 60_000)).toBe(140);
  });

  it('nextAdmitAt is the last send + W/N', () => {
    const w = new UniformInterval(60_000, 3);
    expect(w.nextAdmitAt(5)).toBe(5);
    w.record(5);
    expect(w.nextAdmitAt(6)).toBe(20_005);
    expect(w.admits(20_004.999)).toBe(false);
    expect(w.admits(20_005)).toBe(true);
  });
});
