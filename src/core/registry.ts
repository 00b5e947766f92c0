import { z } from 'zod';

/**
 * A typed registry: the algorithms of one kind (limiters, balancers, fault kinds, distributions,
 * key choices, stores) under the names a scenario uses. An entry carries the schema of its
 * options and its factory, so
 * - the factory's options are typed by the schema (no casts at the registry lines),
 * - a string shorthand (`sliding-log`) goes through the same schema and gets the same defaults as
 *   `{ type: sliding-log }`,
 * - the scenario schema and its JSON Schema are derived from the entries, and
 * - capabilities of an entry (runs on Redis, weighs admissions) are fields of the entry, not a
 *   second switch elsewhere.
 * Adding an algorithm is one file and one line in its registry.
 */

/** One entry: the options beside its name (a strict object), cross-field checks, and the factory. */
export interface Entry<O extends z.ZodObject = z.ZodObject, C = never, T = unknown> {
  readonly options: O;
  /** Checks that need several options at once (reported at the option's path). */
  readonly check?: (options: z.output<O>, ctx: z.RefinementCtx) => void;
  create(ctx: C, options: z.output<O>): T;
}

/** An entry with its options' type inferred from its schema (use at each registry line). */
export function entry<O extends z.ZodObject, C, T, X extends object = object>(e: Entry<O, C, T> & X): Entry<O, C, T> & X {
  return e;
}

// Entries of one registry differ in their options' types; the registry only needs their shape.
/* eslint-disable @typescript-eslint/no-explicit-any */
interface AnyEntry {
  readonly options: z.ZodObject;
  readonly check?: (options: any, ctx: z.RefinementCtx) => void;
  create(ctx: any, options: any): unknown;
}
/* eslint-enable @typescript-eslint/no-explicit-any */
export type Registry = Readonly<Record<string, AnyEntry>>;

/** A registry entry chosen by name, with its options parsed (defaults applied). */
export interface Named<K extends string = string> {
  type: K;
  options: Record<string, unknown>;
}

/** The names of a registry, for messages: `a | b | c`. */
export const namesOf = (registry: Registry): string => Object.keys(registry).join(' | ');

/**
 * The zod schema of a choice from `registry`: a name (its options' defaults) or
 * `{ [key]: name, …options }` checked by that entry's schema and `check`. Output: Named.
 */
export function named<R extends Registry>(registry: R, what: string, key = 'type') {
  const names = Object.keys(registry) as [string, ...string[]];
  const forms = names.map((name) => {
    const e = registry[name]!;
    const form = e.options.extend({ [key]: z.literal(name) });
    return e.check ? form.superRefine((v, ctx) => e.check!(v as never, ctx)) : form;
  });
  return z
    .union(
      [z.enum(names), z.discriminatedUnion(key, forms as unknown as [z.ZodObject, ...z.ZodObject[]])],
      { error: `expected a ${what} name or { ${key}: name, …options }` },
    )
    .transform((v, ctx): Named<keyof R & string> => {
      if (typeof v === 'string') {
        const parsed = registry[v]!.options.safeParse({});
        if (parsed.success) return { type: v, options: parsed.data as Record<string, unknown> };
        ctx.addIssue({ code: 'custom', message: `expected { ${key}: ${v}, … } with its options (${v} has required options)` });
        return z.NEVER;
      }
      const { [key]: type, ...options } = v as Record<string, unknown>;
      return { type: type as keyof R & string, options };
    });
}

/** A choice made in code (tests, benchmarks): the options go through the entry's schema, defaults and all. */
export function choose<R extends Registry>(registry: R, type: keyof R & string, options: Record<string, unknown> = {}): Named<keyof R & string> {
  const e = registry[type];
  if (!e) throw new Error(`unknown entry "${type}"; known: ${namesOf(registry)}`);
  return { type, options: e.options.parse(options) as Record<string, unknown> };
}

/** Builds the chosen entry: the one place a registry's heterogeneous options meet their factory. */
export function create<R extends Registry, C>(registry: R, what: string, choice: Named, ctx: C): ReturnType<R[keyof R]['create']> {
  const e = registry[choice.type];
  if (!e) throw new Error(`unknown ${what} "${choice.type}"; known: ${Object.keys(registry).join(', ')}`);
  return e.create(ctx as never, choice.options as never) as ReturnType<R[keyof R]['create']>;
}
