import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NONE, context } from '../../src/balancers/balancer.js';
import { ConsistentHash } from '../../src/balancers/consistent-hash.js';
import { HashRing } from '../../src/balancers/hash-ring.js';
import { murmur3String } from '../../src/balancers/murmur3.js';
import { balancerContract } from './contract.js';

balancerContract('consistent-hash', { vnodes: 3 });

const CLIENTS = 100_000;
const backend = (i: number) => `backend-${i}.svc:8080`;
const namesOf = (n: number, name = backend) => Array.from({ length: n }, (_, i) => name(i));

function ring(names: string[], vnodes = 150): ConsistentHash {
  return new ConsistentHash(context(names.map(() => 1), Math.random, names), vnodes);
}

/** Provider of every client 0..CLIENTS-1. */
function assignment(b: ConsistentHash): Int32Array {
  const out = new Int32Array(CLIENTS);
  const route = { client: 0, attempt: 1, previous: -1, avoid: -1 };
  for (let c = 0; c < CLIENTS; c++) {
    route.client = c;
    out[c] = b.pick(route, 0);
  }
  return out;
}

/** Share of the hash space each provider owns (exact arc lengths). */
function arcShares(r: HashRing, n: number): number[] {
  const shares = new Array<number>(n).fill(0);
  const P = r.points.length;
  for (let i = 0; i < P; i++) {
    const prev = i === 0 ? r.points[P - 1]! - 2 ** 31 : r.points[i - 1]!;
    shares[r.owners[i]!]! += (r.points[i]! - prev) / 2 ** 31;
  }
  return shares;
}

function relativeSpread(xs: ArrayLike<number>): number {
  const v = Array.from(xs);
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  return Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1)) / mean;
}

describe('hash ring', () => {
  it('is sorted, with vnodes points per provider', () => {
    const r = new HashRing(namesOf(8), 150);
    expect(r.points.length).toBe(1200);
    for (let i = 1; i < r.points.length; i++) expect(r.points[i]!).toBeGreaterThanOrEqual(r.points[i - 1]!);
    const per = new Array<number>(8).fill(0);
    for (const o of r.owners) per[o]!++;
    expect(per).toEqual(new Array<number>(8).fill(150));
  });

  it('places "<name>#<i>" at murmur3 >>> 1, for any name (UTF-8) and i', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ unit: 'grapheme', maxLength: 20 }), { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 1200 }), (names, vnodes) => {
        const r = new HashRing(names, vnodes);
        const want = names
          .flatMap((name, p) => Array.from({ length: vnodes }, (_, i) => [murmur3String(`${name}#${i}`) >>> 1, p] as const))
          .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        expect(Array.from(r.points)).toEqual(want.map((x) => x[0]));
        expect(Array.from(r.owners)).toEqual(want.map((x) => x[1]));
      }),
      { numRuns: 30 },
    );
  });

  it('the branchless search finds the first point at or after the position, wrapping to 0', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.oneof(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.constantFrom(0, 2 ** 31 - 1)), { maxLength: 50 }),
        (names, vnodes, positions) => {
          const r = new HashRing(names, vnodes);
          for (const x of [...positions, ...Array.from(r.points.slice(0, 10)), ...Array.from(r.points.slice(0, 10), (p) => p + 1)]) {
            if (x > 2 ** 31 - 1) continue;
            let want = r.points.findIndex((p) => p >= x);
            if (want < 0) want = 0;
            expect(r.find(x)).toBe(want);
          }
        },
      ),
    );
  });
});

describe('consistent-hash', () => {
  it('a client maps to the same provider until membership or health changes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.array(fc.nat(10_000), { minLength: 1, maxLength: 200 }), (n, clients) => {
        const b = ring(namesOf(n));
        const first = new Map<number, number>();
        for (const c of clients) {
          const p = b.pick({ client: c, attempt: 1, previous: -1, avoid: -1 }, 0);
          if (!first.has(c)) first.set(c, p);
          expect(p).toBe(first.get(c));
        }
        // and a ring rebuilt from the same names agrees
        b.rebuild();
        for (const [c, p] of first) expect(b.pick({ client: c, attempt: 1, previous: -1, avoid: -1 }, 0)).toBe(p);
      }),
    );
  });

  it('adding one provider to n moves about 1/(n+1) of the clients, all to the new one', () => {
    for (const n of [1, 2, 4, 7, 12]) {
      const before = assignment(ring(namesOf(n)));
      const after = assignment(ring(namesOf(n + 1)));
      let moved = 0;
      let elsewhere = 0;
      for (let c = 0; c < CLIENTS; c++) {
        if (after[c] !== before[c]) {
          moved++;
          if (after[c] !== n) elsewhere++;
        }
      }
      expect(elsewhere).toBe(0);
      const expected = CLIENTS / (n + 1);
      expect(moved).toBeGreaterThan(0.7 * expected);
      expect(moved).toBeLessThan(1.3 * expected);
    }
  });

  it("removing one (unhealthy) moves only its own clients, as a ring without its points; they return on recovery", () => {
    const n = 6;
    const names = namesOf(n);
    const ctx = context(names.map(() => 1), Math.random, names);
    const b = new ConsistentHash(ctx, 150);
    const before = assignment(b);
    for (const gone of [0, 3, 5]) {
      ctx.healthy[gone] = 0;
      const during = assignment(b);
      const without = assignment(ring(names.filter((_, i) => i !== gone)));
      let strayed = 0;
      let stayed = 0;
      let unlike = 0;
      for (let c = 0; c < CLIENTS; c++) {
        if (before[c] !== gone && during[c] !== before[c]) strayed++;
        if (during[c] === gone) stayed++;
        // the ring without `gone` numbers the providers after it one lower
        const w = without[c]!;
        if (during[c] !== (w >= gone ? w + 1 : w)) unlike++;
      }
      expect({ strayed, stayed, unlike }).toEqual({ strayed: 0, stayed: 0, unlike: 0 });
      ctx.healthy[gone] = 1;
      expect(assignment(b)).toEqual(before);
    }
  });

  it('walks past several unhealthy providers, and returns NONE when none is healthy', () => {
    const names = namesOf(5);
    const ctx = context(names.map(() => 1), Math.random, names);
    const b = new ConsistentHash(ctx, 150);
    ctx.healthy.set([0, 1, 0, 0, 1]);
    for (let c = 0; c < 2000; c++) expect([1, 4]).toContain(b.pick({ client: c, attempt: 1, previous: -1, avoid: -1 }, 0));
    ctx.healthy.fill(0);
    expect(b.pick({ client: 1, attempt: 1, previous: -1, avoid: -1 }, 0)).toBe(NONE);
  });

  it('with V points per provider the shares spread about 1/sqrt(V) (murmur3, similar names)', () => {
    const V = 150;
    const families = [backend, (i: number) => `p${i}`, (i: number) => `provider-${String.fromCharCode(97 + i)}`];
    for (const family of families) {
      for (const n of [3, 5, 8]) {
        const b = ring(namesOf(n, family), V);
        expect(relativeSpread(arcShares(b.hashRing, n))).toBeLessThan(2 / Math.sqrt(V));
        const count = new Array<number>(n).fill(0);
        for (const p of assignment(b)) count[p]!++;
        expect(relativeSpread(count)).toBeLessThan(2 / Math.sqrt(V));
      }
    }
  });

  it('the spread scales as 1/sqrt(V) (mean over 20 provider sets of 8)', () => {
    for (const V of [10, 50, 150, 600]) {
      let sum = 0;
      for (let s = 0; s < 20; s++) sum += relativeSpread(arcShares(new HashRing(namesOf(8, (i) => `set${s}-backend-${i}.svc:8080`), V), 8));
      const ratio = (sum / 20) * Math.sqrt(V);
      expect(ratio).toBeGreaterThan(0.6);
      expect(ratio).toBeLessThan(1.3);
    }
  });
});
