import { z } from 'zod';
import { entry } from '../core/registry.js';
import type { Random } from '../sim/random.js';

/** What a key choice sees of the pool: the keys' lifetime use and which may be admitted now. */
export interface KeyState {
  readonly count: number;
  /** Admissions per key so far. */
  readonly used: Float64Array;
  admissible(key: number, now: number): boolean;
}

/** Picks an admissible key, or -1 when none is. */
export type Chooser = (keys: KeyState, now: number) => number;

/** Fewest admissions so far (lifetime use, as the Python review client's AppIDManager); ties to the lower index. */
function leastUsed(keys: KeyState, now: number): number {
  let key = -1;
  let best = Infinity;
  for (let k = 0; k < keys.count; k++) {
    if (keys.used[k]! < best && keys.admissible(k, now)) {
      best = keys.used[k]!;
      key = k;
    }
  }
  return key;
}

/** The next admissible key after the last one chosen. */
function roundRobin(): Chooser {
  const cursor = new Int32Array(1);
  return (keys, now) => {
    const n = keys.count;
    for (let i = 0; i < n; i++) {
      const k = (cursor[0]! + i) % n;
      if (keys.admissible(k, now)) {
        cursor[0] = (k + 1) % n;
        return k;
      }
    }
    return -1;
  };
}

/** Uniformly among the admissible keys (one draw per decision that finds any). */
function randomKey(random: Random): Chooser {
  return (keys, now) => {
    const n = keys.count;
    let count = 0;
    for (let k = 0; k < n; k++) if (keys.admissible(k, now)) count++;
    if (count === 0) return -1;
    let r = Math.floor(random() * count);
    for (let k = 0; k < n; k++) if (keys.admissible(k, now) && r-- === 0) return k;
    return -1;
  };
}

const none = z.strictObject({});

/**
 * Every key choice, under the name a scenario uses (`keys.choice`). Each also runs in the Redis
 * store's script under the same name (src/keys/store/lua.ts), which a test replays against these.
 */
export const keyChoices = {
  'least-used': entry({ options: none, create: (_random: Random): Chooser => leastUsed }),
  'round-robin': entry({ options: none, create: (_random: Random): Chooser => roundRobin() }),
  random: entry({ options: none, create: (random: Random): Chooser => randomKey(random) }),
};

export type KeyChoiceName = keyof typeof keyChoices;
export const keyChoiceNames = Object.keys(keyChoices) as [KeyChoiceName, ...KeyChoiceName[]];
