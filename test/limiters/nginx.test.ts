/**
 * Our `token-bucket` against nginx's `limit_req` (the reference in nginx-limit-req.ts).
 *
 * The mapping, exact: `rate=R r/s burst=B nodelay` admits what `token-bucket` with N = R per
 * W = 1 s and burst B + 1 admits at ⌊t⌋ (nginx's whole-ms clock). nginx's excess e (requests
 * beyond the one just accepted) is the bucket's missing tokens minus one: an idle key passes
 * 1 + B at once, and a request passes when max(0, e − leak) + 1 ≤ B + 1. It is exact while nginx's
 * arithmetic is: a whole number of requests per second (`R r/s`, or `R r/m` with R a multiple of
 * 60), so the leak of every whole ms is a whole number of milli-requests. Otherwise nginx truncates
 * the rate (7r/m is 116 milli-requests a second, not 116.67) and each accepted request's leak, and
 * refuses some requests the exact rate admits; fed fractional times, the bucket refills within the
 * ms that nginx's clock does not see.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gcra } from '../../src/limiters/gcra.js';
import { tokenBucket } from '../../src/limiters/token-bucket.js';
import { NginxLimitReq } from './nginx-limit-req.js';

/** A rate nginx keeps exactly: R r/s, or R r/m with R a multiple of 60; as nginx writes it and as our Rate. */
const exactRateArb = fc.oneof(
  fc.integer({ min: 1, max: 50 }).map((r) => ({ nginx: `${r}r/s`, count: r, windowMs: 1_000 })),
  fc.integer({ min: 1, max: 20 }).map((k) => ({ nginx: `${60 * k}r/m`, count: 60 * k, windowMs: 60_000 })),
);

/** Arrivals mostly within a few hundred ms, fractional or whole, any start: bursts, refills and refusals all happen. */
const arrivalsArb = fc
  .tuple(
    fc.double({ min: 0, max: 1e6, noNaN: true, noDefaultInfinity: true }),
    fc.array(
      fc.oneof(
        fc.constant(0),
        fc.integer({ min: 0, max: 400 }),
        fc.double({ min: 0, max: 400, noNaN: true, noDefaultInfinity: true }),
        fc.integer({ min: 0, max: 3_000 }),
      ),
      { maxLength: 150 },
    ),
  )
  .map(([start, gaps]) => {
    let t = start;
    return [start, ...gaps.map((g) => (t += g))];
  });

describe('nginx limit_req (reference)', () => {
  it('rate=1r/s burst=5: of 7 simultaneous requests 1 passes, 5 wait 1…5 s, the 7th gets 503 (the documented behaviour)', () => {
    const n = new NginxLimitReq('1r/s', { burst: 5 });
    const got = Array.from({ length: 7 }, () => n.request(1_000));
    expect(got.map((o) => o.status)).toEqual(['passed', 'delayed', 'delayed', 'delayed', 'delayed', 'delayed', 'rejected']);
    expect(got.map((o) => o.delayMs)).toEqual([0, 1_000, 2_000, 3_000, 4_000, 5_000, 0]);
  });

  it('nodelay passes the burst at once; delay=2 lets 2 excess requests through before delaying', () => {
    const nodelay = new NginxLimitReq('10r/s', { burst: 3, delay: 'nodelay' });
    expect(Array.from({ length: 5 }, () => nodelay.request(0).status)).toEqual(['passed', 'passed', 'passed', 'passed', 'rejected']);
    const two = new NginxLimitReq('10r/s', { burst: 3, delay: 2 });
    expect(Array.from({ length: 5 }, () => two.request(0))).toEqual([
      { status: 'passed', delayMs: 0 },
      { status: 'passed', delayMs: 0 },
      { status: 'passed', delayMs: 0 },
      { status: 'delayed', delayMs: 100 },
      { status: 'rejected', delayMs: 0 },
    ]);
  });
});

describe('token-bucket ↔ nginx limit_req', () => {
  it('burst=B nodelay admits exactly what token-bucket (N = R per second, burst B + 1) admits at ⌊t⌋', () => {
    fc.assert(
      fc.property(exactRateArb, fc.integer({ min: 0, max: 8 }), arrivalsArb, (rate, b, times) => {
        const nginx = new NginxLimitReq(rate.nginx, { burst: b, delay: 'nodelay' });
        const ours = tokenBucket({ count: rate.count, windowMs: rate.windowMs }, { burst: b + 1 });
        for (const t of times) {
          const at = Math.floor(t);
          const ok = ours.admits(at);
          if (ok) ours.record(at);
          expect(nginx.request(t).status, `at ${t}`).toBe(ok ? 'passed' : 'rejected');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('delay mode (burst=B delay=D): the same admissions, each released when gcra (burst D + 1, same rate) admits it', () => {
    // R dividing 1000 keeps gcra's interval 1000 / R whole, so nginx's whole-ms delay is exact.
    const rateArb = fc.constantFrom(1, 2, 4, 5, 8, 10, 20, 25, 40, 50);
    const bdArb = fc.integer({ min: 0, max: 8 }).chain((b) => fc.tuple(fc.constant(b), fc.integer({ min: 0, max: b })));
    fc.assert(
      fc.property(rateArb, bdArb, arrivalsArb, (r, [b, d], times) => {
        const nginx = new NginxLimitReq(`${r}r/s`, { burst: b, delay: d });
        const limit = { count: r, windowMs: 1_000 };
        const accept = tokenBucket(limit, { burst: b + 1 });
        const release = gcra(limit, { burst: d + 1 });
        for (const t of times) {
          const at = Math.floor(t);
          const o = nginx.request(t);
          if (!accept.admits(at)) {
            expect(o.status).toBe('rejected');
            continue;
          }
          accept.record(at);
          const when = release.nextAdmitAt(at);
          release.record(when);
          expect(o.status).toBe(when === at ? 'passed' : 'delayed');
          expect(at + o.delayMs).toBe(when);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('outside the exact domain nginx truncates: 7r/m refuses a request 8,572 ms after the last, which 7/min admits (8,571.4 ms)', () => {
    const nginx = new NginxLimitReq('7r/m', { burst: 0, delay: 'nodelay' });
    const ours = tokenBucket({ count: 7, windowMs: 60_000 }, { burst: 1 });
    expect(nginx.request(0).status).toBe('passed');
    ours.record(0);
    // nginx leaks ⌊116 · 8572 / 1000⌋ = 994 milli-requests, 6 short of a whole request.
    expect(nginx.request(8_572).status).toBe('rejected');
    expect(ours.admits(8_572)).toBe(true);
  });

  it('fed fractional times, the bucket refills inside the ms nginx does not see: floor them first', () => {
    const nginx = new NginxLimitReq('1r/s', { delay: 'nodelay' });
    const ours = tokenBucket({ count: 1, windowMs: 1_000 }, { burst: 1 });
    expect(nginx.request(0.7).status).toBe('passed');
    ours.record(0.7);
    // nginx sees 0 and 1000: a whole second. The bucket, at 1000.2, has refilled 0.9995 of a token.
    expect(nginx.request(1_000.2).status).toBe('passed');
    expect(ours.admits(1_000.2)).toBe(false);
    const floored = tokenBucket({ count: 1, windowMs: 1_000 }, { burst: 1 });
    floored.record(Math.floor(0.7));
    expect(floored.admits(Math.floor(1_000.2))).toBe(true);
  });
});
