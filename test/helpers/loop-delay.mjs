/**
 * Preloaded into a child process (`node --import …/loop-delay.mjs`) by a test whose subject is
 * wall-clock time: records how late that process ran its callbacks (its event-loop delay: the
 * wait for a core on a loaded machine, plus its own backlog) and writes it, when the process
 * exits, to `$GATESIM_TEST_LOOP_DELAY.<pid>.json` as { meanMs, p99Ms, maxMs }. Nothing else changes.
 */
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const out = process.env.GATESIM_TEST_LOOP_DELAY;
if (out) {
  const RESOLUTION_MS = 10;
  const h = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  h.enable();
  // The histogram holds the timer's interval plus its lateness; the lateness is what is wanted.
  const late = (ns) => Math.max(0, ns / 1e6 - RESOLUTION_MS);
  process.on('exit', () => {
    h.disable();
    writeFileSync(`${out}.${process.pid}.json`, JSON.stringify({ meanMs: late(h.mean), p99Ms: late(h.percentile(99)), maxMs: late(h.max) }));
  });
}
