import { describe, expect, it } from 'vitest';
import { context, type BalancerContext } from '../src/balancers/balancer.js';

/**
 * State shared across parts keeps one writer (issue 20): a balancer gets read-only views of the
 * health monitor's `healthy` and the dispatcher's `inFlight`. The compiler enforces it (npm run
 * typecheck covers test/): the writes below must not compile, or `@ts-expect-error` fails the check.
 */
describe('owned state, read access', () => {
  it('a balancer context refuses writes to the arrays others own', () => {
    const owned = context([1, 1], () => 0.5);
    const view: BalancerContext = owned;
    // @ts-expect-error healthy belongs to the health monitor
    view.healthy[0] = 0;
    // @ts-expect-error inFlight belongs to the dispatcher
    view.inFlight[1] = 3;
    // The owner writes, and the view sees it: the same memory, not a copy.
    owned.healthy[1] = 0;
    expect([view.healthy[0], view.healthy[1], view.inFlight[1]]).toEqual([0, 0, 3]);
  });
});
