import { expect } from 'vitest';
import { UserError } from '../../src/util/errors.js';

/** The UserError message that `fn` throws, asserting it is one line. */
export function userErrorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    const msg = (e as Error).message;
    expect(msg.split('\n')).toHaveLength(1);
    return msg;
  }
  throw new Error('expected a UserError, but nothing was thrown');
}
