/**
 * A stream of events at non-decreasing times that a clock runs without a timer per event: the
 * open workload's arrivals. The engine keeps the stream's next time beside its heap and runs
 * whichever comes first, so a million arrivals cost no heap push or pop (SimPy would make each a
 * Timeout on its queue). Equal times keep the order a heap event would have had: the stream's next
 * time takes its place in the heap's sequence when the previous one starts to run, before anything
 * that arrival schedules.
 */
export interface ArrivalStream {
  /** When the next event is due (clamped to now); Infinity when the stream has ended. */
  nextAt(): number;
  /** Runs the event due at `nextAt()` (the clock's now is that time); it may move `nextAt()` on. */
  fire(): void;
}
