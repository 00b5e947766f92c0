import cliProgress from 'cli-progress';
import { scrub } from './core/secrets.js';
import type { RealProgress } from './modes/real.js';

/** stderr as cli-progress draws on it, through the redaction pass like every other line. */
const stderr: NodeJS.WriteStream = new Proxy(process.stderr, {
  get(target, key) {
    if (key === 'write') return (chunk: unknown, ...rest: unknown[]) => (target.write as (...a: unknown[]) => boolean)(scrub(String(chunk)), ...rest);
    const value = Reflect.get(target, key) as unknown;
    return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
  },
});

const bar = (format: string, clearOnComplete: boolean): cliProgress.SingleBar =>
  new cliProgress.SingleBar({ stream: stderr, format, hideCursor: false, clearOnComplete }, cliProgress.Presets.shades_classic);

/** Progress of many simulations: a bar on stderr once they have taken more than a second (on a terminal). */
export function simulationsBar(total: number, quiet: boolean): { tick(): void; stop(): void } {
  if (quiet || !process.stderr.isTTY) return { tick() {}, stop() {} };
  let done = 0;
  let shown: cliProgress.SingleBar | undefined;
  const timer = setTimeout(() => {
    shown = bar('  {bar} {value}/{total} simulations · {eta}s left', true);
    shown.start(total, done);
  }, 1000);
  return {
    tick: () => void shown?.update(++done),
    stop: () => {
      clearTimeout(timer);
      shown?.stop();
    },
  };
}

/** Progress of simulations on a queue's workers: back, running, failed, of how many (on a terminal). */
export function queueBar(total: number, quiet: boolean): { update(p: { done: number; running: number; failed: number }): void; tick(): void; stop(): void } {
  if (quiet || !process.stderr.isTTY) return { update() {}, tick() {}, stop() {} };
  const shown = bar('  {bar} {value}/{total} simulations · {running} running · {failed} failed', true);
  let done = 0;
  let running = 0;
  let failed = 0;
  shown.start(total, 0, { running, failed });
  return {
    update: (p) => {
      ({ running, failed } = p);
      shown.update(done, { running, failed });
    },
    tick: () => void shown.update(++done, { running, failed }),
    stop: () => shown.stop(),
  };
}

/** A real run's progress on a terminal: a bar per variant (requests, ok, 429s, rate, time) and per cooldown. */
export function realBars(): RealProgress {
  let shown: cliProgress.SingleBar | undefined;
  return {
    start(name, total) {
      shown = bar(`  ${name} {bar} {value}/{total} requests · {ok} ok · {limited} 429 · {rate}/s · {elapsed}s`, false);
      shown.start(total, 0, { ok: 0, limited: 0, rate: '0.0', elapsed: '0' });
    },
    update(finished, ok, rateLimited, wallMs) {
      const s = wallMs / 1000;
      shown?.update(finished, { ok, limited: rateLimited, rate: s > 0 ? (finished / s).toFixed(1) : '0.0', elapsed: s.toFixed(0) });
    },
    stop() {
      shown?.stop();
      shown = undefined;
    },
    cooldown(wallMs) {
      const total = Math.ceil(wallMs / 100) / 10;
      const cool = bar('  cooldown {bar} {value}/{total} s', true);
      cool.start(total, 0);
      const t0 = performance.now();
      const tick = setInterval(() => cool.update(Math.min(total, Math.round((performance.now() - t0) / 100) / 10)), 200);
      return () => {
        clearInterval(tick);
        cool.stop();
      };
    },
  };
}
