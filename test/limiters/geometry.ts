import fc from 'fast-check';
import type { Rate } from '../../src/scenario/types.js';

/** Bucket geometry options as a scenario may give them (parsed: bucketWidth in ms). */
export type Geometry = { buckets?: number; bucketWidth?: number };

export const geometryArb: fc.Arbitrary<Geometry> = fc.record(
  {
    buckets: fc.integer({ min: 1, max: 8 }),
    bucketWidth: fc.oneof(
      fc.integer({ min: 1, max: 20_000 }),
      fc.double({ min: 1, max: 20_000, noNaN: true, noDefaultInfinity: true }), // the schema's floor: 1 ms
    ),
  },
  { requiredKeys: [] },
);

/** The geometry a limiter resolves: B buckets of width w (default: the window split in B). */
export function resolve(limit: Rate, g: Geometry): { buckets: number; width: number } {
  const buckets = g.buckets ?? 6;
  return { buckets, width: g.bucketWidth ?? limit.windowMs / buckets };
}
