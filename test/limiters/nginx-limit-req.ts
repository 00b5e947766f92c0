/**
 * nginx's `limit_req` (ngx_http_limit_req_module) for one key, as a reference to test our limiters
 * against. Written from the module's documentation and behaviour:
 *
 *     limit_req_zone $key zone=z:1m rate=R r/s | R r/m;
 *     limit_req zone=z [burst=B] [nodelay | delay=D];
 *
 * A leaky bucket kept as the key's "excess" in milli-requests (1 = 0.001 request) and the time of
 * its last accepted request, in whole ms (nginx's cached clock, ngx_current_msec). The rate is kept
 * in milli-requests per second, R·1000 / 60 truncated for r/m. A request at `now`:
 *
 *     excess' = max(0, excess − ⌊rate · (now − last) / 1000⌋ + 1000)
 *     excess' > B·1000            → rejected (503), nothing changes
 *     otherwise                    → excess = excess'; last = now if now ≠ last
 *                                    passed at once if excess' ≤ D·1000 (nodelay: always),
 *                                    else delayed ⌊(excess' − D·1000) · 1000 / rate⌋ ms
 *
 * The first request of a key (no node yet) passes with excess 0. Model choices: time is this
 * process's float ms and nginx reads ⌊t⌋ (its clock ticks in whole ms and is cached per event-loop
 * turn, so requests within one ms see the same `now`); one key alone in its zone, so its node never
 * expires (nginx frees nodes only while allocating one for another key); one limit_req directive.
 *
 * Delay mode (no nodelay): accepted and rejected are decided exactly as with nodelay — only when an
 * accepted request is forwarded differs. It does not map onto one of our windows: a window answers
 * "now or not yet", and our key pool queues a refused request (bounded by time, acquireTimeout)
 * rather than rejecting it at a queue length. It is two of them in series: `token-bucket` with
 * burst B + 1 decides at arrival (reject when it refuses), and the accepted requests, in arrival
 * order, are released when `gcra` with burst D + 1 at the same rate admits them (its nextAdmitAt;
 * D = 0 is uniform spacing). nginx truncates that delay to whole ms; test/limiters/nginx.test.ts
 * checks both halves.
 */
export type NginxOutcome = { status: 'passed' | 'delayed' | 'rejected'; delayMs: number };

export class NginxLimitReq {
  /** ctx->rate: milli-requests per second. */
  private readonly rate: number;
  /** limit->burst and limit->delay, in milli-requests (nodelay: never delay). */
  private readonly burst: number;
  private readonly delay: number;
  private node = false;
  private excess = 0;
  private last = 0;

  /** `rate` as nginx writes it (`5r/s`, `30r/m`); burst B (default 0); `nodelay` or delay=D (default 0). */
  constructor(rate: string, options: { burst?: number; delay?: number | 'nodelay' } = {}) {
    const m = /^(\d+)r\/([sm])$/.exec(rate);
    if (!m) throw new Error(`invalid rate "${rate}"`);
    const scale = m[2] === 's' ? 1 : 60;
    this.rate = Math.floor((Number(m[1]) * 1000) / scale);
    this.burst = (options.burst ?? 0) * 1000;
    this.delay = options.delay === 'nodelay' ? Infinity : (options.delay ?? 0) * 1000;
  }

  /** One request at `t` (ms). */
  request(t: number): NginxOutcome {
    const now = Math.floor(t);
    if (!this.node) {
      this.node = true;
      this.excess = 0;
      this.last = now;
      return { status: 'passed', delayMs: 0 };
    }
    let ms = now - this.last;
    // A clock that went back (nginx guards against it the same way).
    if (ms < -60_000) ms = 1;
    else if (ms < 0) ms = 0;
    let excess = this.excess - Math.floor((this.rate * ms) / 1000) + 1000;
    if (excess < 0) excess = 0;
    if (excess > this.burst) return { status: 'rejected', delayMs: 0 };
    this.excess = excess;
    if (ms !== 0) this.last = now;
    if (excess <= this.delay) return { status: 'passed', delayMs: 0 };
    return { status: 'delayed', delayMs: Math.floor(((excess - this.delay) * 1000) / this.rate) };
  }
}
