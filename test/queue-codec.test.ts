import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../src/scenario/load.js';
import { CodecError, decode, encode } from '../src/study/queue-codec.js';
import run from '../src/study/worker.js';

/** Every variant's resolved scenario of every shipped scenario file (a sweep: its first point). */
function shippedScenarios(): { where: string; scenario: unknown; name: string }[] {
  const dir = 'scenarios';
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => {
      const plan = loadScenario(join(dir, f), { sets: [] });
      return plan.runs[0]!.variants.map((v) => ({ where: `${f} / ${v.name}`, scenario: v.scenario, name: v.name }));
    });
}

describe('what travels through the queue', () => {
  it("gives back every shipped scenario as it was (Infinity, a dataset's Int32Array rows), where plain JSON does not", () => {
    const all = shippedScenarios();
    let plainJsonLoses = 0;
    for (const { where, scenario } of all) {
      expect(isDeepStrictEqual(decode(encode(scenario)), scenario), where).toBe(true);
      if (!isDeepStrictEqual(JSON.parse(JSON.stringify(scenario)), scenario)) plainJsonLoses++;
    }
    // The codec is needed: JSON alone changes most of them (an unlimited capacity, a missing field).
    expect(plainJsonLoses).toBeGreaterThan(0);
    const withRows = all.filter(({ scenario }) => (scenario as { workload: { tokens?: { rows?: { prompt: unknown } } } }).workload.tokens?.rows?.prompt instanceof Int32Array);
    expect(withRows.length).toBeGreaterThan(0);
  });

  it('gives back a simulation result value for value, series and CDF included', () => {
    const [first] = shippedScenarios().filter((s) => s.where.startsWith('high-concurrency.yaml'));
    const r = run({ scenario: first!.scenario as never, name: first!.name });
    const back = decode(encode(r));
    expect(isDeepStrictEqual(back, r)).toBe(true);
    expect(JSON.stringify(back)).toBe(JSON.stringify(r));
  });

  it('round-trips any tree of plain values, typed arrays and non-finite numbers (property)', () => {
    fc.assert(
      fc.property(
        fc.anything({
          withTypedArray: true,
          withBoxedValues: false,
          withMap: false,
          withSet: false,
          withDate: false,
          withObjectString: false,
          withNullPrototype: false,
          withBigInt: false,
          withSparseArray: false,
          values: [fc.double(), fc.string(), fc.boolean(), fc.constant(undefined), fc.constant(null), fc.constant(-0)],
        }),
        (v) => isDeepStrictEqual(decode(encode(v)), v),
      ),
      { numRuns: 300 },
    );
  });

  it('refuses what has no place in a scenario, naming where it is', () => {
    expect(() => encode({ a: { b: new Map() } })).toThrow(CodecError);
    expect(() => encode({ a: { b: new Map() } })).toThrow('a.b: a Map cannot travel');
    expect(() => encode({ f: () => 1 })).toThrow('f: a function cannot travel');
    expect(() => decode('{"x":{"\\u0000":"Nope"}}')).toThrow(CodecError);
  });
});
