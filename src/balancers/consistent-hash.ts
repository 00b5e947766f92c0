import type { ReadonlyNumbers } from '../core/typed.js';
import { NONE, usable, type Balancer, type BalancerContext, type Route } from './balancer.js';
import { type OutcomeCode } from '../core/outcome.js';
import { HashRing, ringPosition } from './hash-ring.js';
import { murmur3Int } from './murmur3.js';

/** Options of `consistent-hash`. */
export interface ConsistentHashOptions {
  /** Points per provider on the ring (virtual nodes). Default 150, as the `003_*` document. */
  vnodes?: number;
}

/**
 * Consistent hashing on a ring (Karger et al. 1997; "ketama"; the Rust balancer notes',
 * `ConsistentHashBalancer` with 150 virtual nodes). Each provider has `vnodes` points at
 * murmur3 x86_32 of `"<name>#<i>"` (see murmur3.ts for why not FNV-1a; the Rust notes use SHA-256, whose
 * spread is as good but which costs far more per key). The request's key is its `client` id,
 * hashed as murmur3 of the id's 4 little-endian bytes (no string is built per request). The key
 * goes to the owner of the first point at or after its position, wrapping to the first point.
 *
 * Health: when that owner is unhealthy the walk continues clockwise to the next point whose owner
 * is healthy, which is exactly the ring without the unhealthy providers' points: only their
 * clients move, and they come back when it recovers. the Rust notes instead rebuild its ring from the
 * healthy servers, with the same result. NONE when no provider is healthy.
 * `route.previous` is not read: the dispatcher's `retry.fallback` masks the failed provider's
 * health for the retry's pick, and the same walk then finds the next distinct provider.
 *
 * A client stays on its provider as long as membership and health stay; adding a provider to n
 * moves about 1/(n+1) of the clients, all to the new one; with V points per provider the shares'
 * relative spread is about 1/√V (8% at 150). Weights are ignored. Lookup: hash + ⌈log₂(nV)⌉
 * branchless steps (+ the walk past unhealthy owners); no allocation.
 */
export class ConsistentHash implements Balancer {
  private readonly names: readonly string[];
  private readonly vnodes: number;
  private readonly healthy: ReadonlyNumbers;
  private ring: HashRing;

  constructor(ctx: BalancerContext, vnodes: number) {
    this.names = ctx.names;
    this.vnodes = vnodes;
    this.healthy = ctx.healthy;
    this.ring = new HashRing(ctx.names, vnodes);
  }

  /** The ring in use (for tests and the remapping metric). */
  get hashRing(): HashRing {
    return this.ring;
  }

  /** Rebuilds the ring from the providers' names (membership changes; the benchmark). */
  rebuild(): void {
    this.ring = new HashRing(this.names, this.vnodes);
  }

  peek(route: Route, _now?: number): number {
    const { owners } = this.ring;
    const healthy = this.healthy;
    const avoid = route.avoid;
    let i = this.ring.find(ringPosition(murmur3Int(route.client)));
    const owner = owners[i]!;
    if (healthy[owner] && owner !== avoid) return owner;
    let any = false;
    for (let p = 0; p < healthy.length; p++) any ||= usable(healthy, p, avoid);
    if (!any) return NONE;
    const size = owners.length;
    for (;;) {
      i = i + 1 === size ? 0 : i + 1;
      if (healthy[owners[i]!] && owners[i] !== avoid) return owners[i]!;
    }
  }

  pick(route: Route, _now?: number): number {
    return this.peek(route);
  }

  started(_provider: number, _now: number): void {}
  finished(_provider: number, _outcome: OutcomeCode, _latencyMs: number, _now: number): void {}
}

export function consistentHash(ctx: BalancerContext, options: ConsistentHashOptions): Balancer {
  return new ConsistentHash(ctx, options.vnodes ?? 150);
}
