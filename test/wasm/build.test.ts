import { describe, expect, it } from 'vitest';
import { runProcessSync } from '../helpers/cli.js';

describe('WebAssembly build', () => {
  it('every embedded binary is what assembly/build.mjs compiles its kernel set to', () => {
    const r = runProcessSync(process.execPath, ['assembly/build.mjs', '--check']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});
