import { describe, expect, it } from 'vitest';
import { WallClock } from '../src/sim/wall-clock.js';

/** Runs `fn` inside a timer callback (the event loop's timers phase), resolving after the next turn. */
const inTimersPhase = (fn: () => void): Promise<void> =>
  new Promise((resolve) =>
    setTimeout(() => {
      fn();
      setTimeout(() => setTimeout(resolve, 0), 0);
    }, 0),
  );

describe('WallClock: a wait of zero runs at once', () => {
  it('after(0) runs before a setTimeout(0) set just before it (Node holds every timer at least 1 ms)', async () => {
    const clock = new WallClock(1);
    const order: string[] = [];
    const k = clock.on((arg) => order.push(`clock ${arg}`));
    await inTimersPhase(() => {
      setTimeout(() => order.push('timer'), 0);
      clock.after(0, k, 1);
      clock.after(-5, k, 2);
      clock.at(clock.now() - 1, k, 3);
    });
    // In the same turn's check phase, in the order set; the 1 ms timer only on a later turn.
    expect(order).toEqual(['clock 1', 'clock 2', 'clock 3', 'timer']);
  });

  it('a cancelled zero wait never runs, stop() cancels pending ones, and a stale handle cancels nothing', async () => {
    const clock = new WallClock(1);
    const fired: number[] = [];
    const k = clock.on((arg) => fired.push(arg));
    const a = clock.after(0, k, 1);
    clock.after(0, k, 2);
    clock.cancel(a);
    await new Promise((r) => setImmediate(r));
    clock.cancel(a);
    clock.after(0, k, 3);
    clock.stop();
    await new Promise((r) => setTimeout(r, 0));
    expect(fired).toEqual([2]);
  });
});
