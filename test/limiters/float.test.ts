import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nextDown, nextUp } from '../../src/limiters/float.js';

describe('nextUp / nextDown', () => {
  it('step to the adjacent double: above (below), with nothing in between', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, min: -1e300, max: 1e300 }), (x) => {
        const up = nextUp(x);
        const down = nextDown(x);
        expect(up).toBeGreaterThan(x);
        expect(down).toBeLessThan(x);
        // The midpoint rounds to one of the two ends when they are adjacent.
        expect([x, up]).toContain((x + up) / 2);
        expect([down, x]).toContain((down + x) / 2);
      }),
    );
  });

  it('hand-checked values', () => {
    expect(nextUp(1)).toBe(1 + Number.EPSILON);
    expect(nextDown(1)).toBe(1 - Number.EPSILON / 2);
    expect(nextUp(0)).toBe(Number.MIN_VALUE);
    expect(nextUp(-Number.MIN_VALUE)).toBe(-0);
    expect(nextUp(Number.MAX_VALUE)).toBe(Infinity);
  });
});
