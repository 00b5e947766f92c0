/**
 * Preloaded into a child process (`node --import …/clock-skew.mjs`) by a test of machines whose
 * clocks disagree: moves `performance.timeOrigin` by `$GATESIM_TEST_CLOCK_SKEW_MS` (the process's
 * epoch clock, timeOrigin + now(), then reads that much ahead), as a machine with a clock that far
 * off would. performance.now(), Date.now() and timers are unchanged.
 */
const skew = Number(process.env.GATESIM_TEST_CLOCK_SKEW_MS ?? 0);
if (skew !== 0) {
  const origin = performance.timeOrigin + skew;
  Object.defineProperty(performance, 'timeOrigin', { value: origin, configurable: true });
}
