import { afterEach, describe, expect, it } from 'vitest';
import { deadline, LongTimer, MAX_TIMER_MS, longTimeout, sleep } from '../src/core/long-timer.js';
import { WallClock } from '../src/sim/wall-clock.js';

/** Node's warnings emitted while a test runs (a TimeoutOverflowWarning is the one these tests are about). */
const warnings: string[] = [];
const onWarning = (w: Error): void => void warnings.push(`${w.name}: ${w.message}`);
process.on('warning', onWarning);
afterEach(() => {
  warnings.length = 0;
});

/** Resolves once `n` short timers in a row have fired: each a later turn of the event loop's timers. */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setTimeout(r, 5));
}

describe('long waits are exact', () => {
  it('a WallClock wait past 2^31 ms has not fired when later short ones have, and prints no warning', async () => {
    const clock = new WallClock(1);
    const fired: string[] = [];
    const kind = clock.on((arg) => fired.push(arg === 1 ? 'long' : 'short'));
    clock.after(MAX_TIMER_MS + 1000, kind, 1);
    clock.after(365 * 24 * 3_600_000, kind, 1); // a year: the longest duration a file may give
    clock.after(20, kind, 2);
    await new Promise<void>((resolve) => {
      const done = clock.on(() => resolve());
      clock.after(40, done, 0);
    });
    await turns(3);
    expect(fired).toEqual(['short']);
    clock.stop();
    await new Promise((r) => setImmediate(r));
    expect(warnings.filter((w) => /TimeoutOverflow/.test(w))).toEqual([]);
  });

  it('scaled: a year at time scale 0.01 (3.65 days of wall time) is one timer, a year at scale 1 waits too', async () => {
    for (const scale of [0.01, 1, 100]) {
      const clock = new WallClock(scale);
      let fired = false;
      clock.after(365 * 24 * 3_600_000, clock.on(() => (fired = true)), 0);
      await turns(2);
      expect(fired).toBe(false);
      clock.stop();
    }
    expect(warnings).toEqual([]);
  });

  it('re-arms in steps towards one deadline, and fires no earlier than it', async () => {
    // A 10 ms step stands for Node's 2^31 − 1 ms: 35 ms take 4 timers (10, 10, 10, then what is left).
    const t0 = performance.now();
    let at = NaN;
    const timer = await new Promise<LongTimer>((resolve) => {
      const t: LongTimer = new LongTimer(() => {
        at = performance.now() - t0;
        resolve(t);
      }, 35, 10);
    });
    expect(at).toBeGreaterThanOrEqual(35); // never early, even when Node's loop clock trails performance.now()
    expect(timer.arms).toBeGreaterThanOrEqual(4);
    expect(timer.pending).toBe(false);
  });

  it('a cancelled wait never fires, whichever step it is in; Infinity never arms', async () => {
    let fired = 0;
    const a = new LongTimer(() => fired++, 30, 5);
    const b = longTimeout(() => fired++, Infinity);
    expect(b.pending).toBe(false);
    await turns(2);
    a.cancel();
    await turns(6);
    expect(fired).toBe(0);
    expect(a.arms).toBeGreaterThanOrEqual(1);
  });

  it('sleep ends at an abort, however long its wait', async () => {
    const stop = new AbortController();
    const slept = sleep(MAX_TIMER_MS * 10, stop.signal);
    await turns(1);
    stop.abort();
    await slept;
    expect(warnings).toEqual([]);
  });
});

describe('deadline: a signal for the whole of an exchange', () => {
  it('aborts when its wait runs out (expired), or when the parent aborts (not expired), and done() lets go of both', async () => {
    const ran = deadline(10);
    await new Promise((r) => ran.signal.addEventListener('abort', r, { once: true }));
    expect(ran.expired).toBe(true);

    const parent = new AbortController();
    const cut = deadline(MAX_TIMER_MS * 4, parent.signal);
    parent.abort();
    expect(cut.signal.aborted).toBe(true);
    expect(cut.expired).toBe(false);

    const parent2 = new AbortController();
    const kept = deadline(10, parent2.signal);
    kept.done();
    parent2.abort();
    await turns(4);
    expect(kept.signal.aborted).toBe(false);
    expect(warnings).toEqual([]);
  });
});

describe('every wall-clock wait goes through the long timer', () => {
  it('no setTimeout in src/ but the helper, the wall clock (below 2^31 ms only) and a 1 s progress delay', async () => {
    const { readdirSync, readFileSync, statSync } = await import('node:fs');
    const { join } = await import('node:path');
    const files = (dir: string): string[] => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)]));
    const using = files('src').filter((f) => f.endsWith('.ts') && /\bsetTimeout\(/.test(readFileSync(f, 'utf8')));
    expect(using.sort()).toEqual(['src/core/long-timer.ts', 'src/progress.ts', 'src/sim/wall-clock.ts']);
    expect(readFileSync('src/progress.ts', 'utf8')).toMatch(/setTimeout\(\(\) => \{[\s\S]*?\}, 1000\)/);
  });
});
