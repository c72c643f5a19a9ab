import { describe, expect, it } from 'vitest';
import { runProcessSync } from '../helpers/cli.js';

describe('CNN kernels build', () => {
  it('the embedded WebAssembly binary is what assembly/cnn compiles to (npm run build:cnn-wasm)', () => {
    const r = runProcessSync(process.execPath, ['assembly/cnn/build.mjs', '--check']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});
