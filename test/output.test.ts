import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonChunks } from '../src/core/output.js';

describe('jsonChunks', () => {
  it('is JSON.stringify(value, null, 2) + newline, byte for byte, for any value with a top-level list', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.array(fc.jsonValue()), fc.dictionary(fc.string(), fc.jsonValue()), (before, runs, after) => {
        const value = { ...before, runs, ...after };
        expect(jsonChunks(value, 'runs').join('')).toBe(`${JSON.stringify(value, null, 2)}\n`);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps each element its own piece, so no piece grows with the number of runs', () => {
    const runs = Array.from({ length: 1000 }, (_, i) => ({ name: `p${i}`, variants: [{ a: i }] }));
    const chunks = jsonChunks({ schema: 'x', runs, reference: {} }, 'runs');
    expect(chunks).toHaveLength(1002);
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThan(200);
  });
});
