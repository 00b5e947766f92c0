import type { Window } from '../window.js';
import { Pacer } from './pacer.js';

/**
 * A learning limiter's gate under a known ceiling (`keys.limit` with an adaptive `keys.limiter`):
 * a request needs both windows, and is recorded on both. Each window's admissions only grow with
 * time when nothing is recorded, so the conjunction's answers are the extremes of theirs: next
 * admission the later of the two, remaining the smaller, whole again when both hold the smaller
 * capacity. Requests only (weight 1), as every learning limiter counts: other weights throw.
 */
export class Capped implements Window {
  constructor(
    private readonly ceiling: Window,
    private readonly gate: Window,
  ) {}

  get weighted(): boolean {
    return false;
  }

  admits(now: number, w?: number): boolean {
    if (w !== undefined && w !== 1) unit(w);
    return this.ceiling.admits(now) && this.gate.admits(now);
  }

  record(now: number, w?: number): void {
    if (w !== undefined && w !== 1) unit(w);
    this.ceiling.record(now);
    this.gate.record(now);
  }

  nextAdmitAt(now: number, w?: number): number {
    if (w !== undefined && w !== 1) unit(w);
    const a = this.ceiling.nextAdmitAt(now);
    const b = this.gate.nextAdmitAt(now);
    return a > b ? a : b;
  }

  settle(_at: number, reserved: number, actual: number): void {
    if (reserved !== 1 || actual !== 1) unit(actual);
  }

  remaining(now: number): number {
    const a = this.ceiling.remaining(now);
    const b = this.gate.remaining(now);
    return a < b ? a : b;
  }

  resetAt(now: number): number {
    const c = this.capacity();
    const a = this.ceiling.nextAdmitAt(now, c);
    const b = this.gate.nextAdmitAt(now, c);
    return a > b ? a : b;
  }

  capacity(): number {
    const a = this.ceiling.capacity();
    const b = this.gate.capacity();
    return a < b ? a : b;
  }

  footprint(): number {
    return this.ceiling.footprint() + this.gate.footprint();
  }
}

function unit(w: number): never {
  throw new RangeError(`a learning limiter counts requests (weight 1), got weight ${w}`);
}

/**
 * The window a learning limiter hands its key: its gate under the ceiling (an open gate when it
 * has none, so the key still counts requests only), the gate alone, or none.
 */
export function gated(ceiling: Window | undefined, gate: Window | undefined): Window | undefined {
  if (ceiling) return new Capped(ceiling, gate ?? new Pacer(0, Infinity));
  return gate;
}
