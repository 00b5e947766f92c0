/**
 * Node's timers hold at most 2^31 − 1 ms (24.8 days): a longer delay fires after 1 ms and prints a
 * TimeoutOverflowWarning. Every wall-clock wait of gatesim can be longer than that (a scenario's
 * durations reach a year, a provider's retry-after is the provider's to choose), so each goes
 * through `longTimeout`, which waits in steps below the limit towards one deadline.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A wait of any length: `cancel()` stops it; `arms` counts the Node timers it has set so far. */
export class LongTimer {
  /** Node timers set so far (1 for a wait within one step). */
  arms = 0;
  private handle: ReturnType<typeof setTimeout> | undefined;
  private readonly deadline: number;
  private readonly rearm = (): void => this.arm();
  /** The last step's end: Node times a timer from the event loop's cached clock, which may trail
   * performance.now() by however long the loop's turn has run, so a timer can fire early by that
   * much; short of the deadline, it waits again for the rest. */
  private readonly check = (): void => (performance.now() < this.deadline ? this.arm() : this.fire());

  /**
   * Runs `fn` once `ms` wall milliseconds have passed (NaN or below 0: at once; Infinity: never).
   * `step` is the longest single Node timer (tests shorten it to watch the re-arming); `unref`
   * lets the process exit while only this wait is pending.
   */
  constructor(
    private readonly fn: () => void,
    ms: number,
    private readonly step = MAX_TIMER_MS,
    private readonly unref = false,
  ) {
    if (!(step >= 1 && step <= MAX_TIMER_MS)) throw new RangeError(`timer step must be from 1 to ${MAX_TIMER_MS} ms, got ${step}`);
    const wait = ms > 0 ? ms : 0;
    this.deadline = performance.now() + wait;
    if (wait < Infinity) this.arm();
  }

  /** True while the wait is pending (not fired, not cancelled, not infinite). */
  get pending(): boolean {
    return this.handle !== undefined;
  }

  private arm(): void {
    const left = Math.max(0, this.deadline - performance.now());
    this.arms++;
    this.handle = left > this.step ? setTimeout(this.rearm, this.step) : setTimeout(this.check, Math.ceil(left));
    if (this.unref) this.handle.unref();
  }

  private fire(): void {
    this.handle = undefined;
    this.fn();
  }

  cancel(): void {
    if (this.handle !== undefined) clearTimeout(this.handle);
    this.handle = undefined;
  }
}

/** `setTimeout` for waits of any length (see LongTimer). */
export function longTimeout(fn: () => void, ms: number, opts: { unref?: boolean } = {}): LongTimer {
  return new LongTimer(fn, ms, MAX_TIMER_MS, opts.unref === true);
}

/**
 * Resolves after `ms` wall ms, or as soon as `signal` aborts (with no error: the caller looks at
 * the signal). Any length, like `longTimeout`.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = (): void => {
      timer.cancel();
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = longTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** A signal that aborts after `ms` or when `parent` does, whichever comes first; `done()` lets go of both. */
export interface Deadline {
  signal: AbortSignal;
  /** The wait ran out (not the parent). */
  readonly expired: boolean;
  done(): void;
}

/**
 * A deadline as an AbortSignal. Not `AbortSignal.any([parent, AbortSignal.timeout(ms)])`: Node may
 * collect a timeout signal nothing else holds before it fires, and the exchange it guards then
 * waits for ever (seen here on a second reset). The timer here holds the controller until it fires
 * or `done()` is called.
 */
export function deadline(ms: number, parent?: AbortSignal): Deadline {
  const c = new AbortController();
  let expired = false;
  const timer = longTimeout(() => {
    expired = true;
    c.abort(new Error(`no complete answer within ${ms} ms`));
  }, ms);
  const onParent = (): void => c.abort(parent!.reason);
  if (parent?.aborted) onParent();
  else parent?.addEventListener('abort', onParent, { once: true });
  return {
    signal: c.signal,
    get expired() {
      return expired;
    },
    done: () => {
      timer.cancel();
      parent?.removeEventListener('abort', onParent);
    },
  };
}
