import { z } from 'zod';

/**
 * Field builders shared by every study's config schema, so that a bad value gets the same one-line message
 * ("must be an integer in [1, 10000000]") whichever study it belongs to.
 */

/** A finite number in [min, max] (or (min, max] with minExclusive); the message names the allowed range. */
export function num(min: number, max: number, opts: { int?: boolean; minExclusive?: boolean; maxExclusive?: boolean } = {}) {
  const lo = opts.minExclusive ? `(${min}` : `[${min}`;
  const hi = max === Infinity ? '∞)' : opts.maxExclusive ? `${max})` : `${max}]`;
  const what = opts.int ? 'an integer' : 'a number';
  const message = `must be ${what} in ${lo}, ${hi}`;
  return z
    .number({ error: message })
    .refine(
      (x) =>
        Number.isFinite(x) &&
        (opts.minExclusive ? x > min : x >= min) &&
        (opts.maxExclusive ? x < max : x <= max) &&
        (!opts.int || Number.isInteger(x)),
      { message },
    );
}

/** One of a fixed list of strings. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: `must be one of ${values.join(', ')}` });
}

export const bool = z.boolean({ error: 'must be true or false' });
