import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * vitest globalSetup: compile src/ to dist/ once before any test file runs, so the CLI tests
 * (`node bin/paratransfer.js …`) exercise the current sources. The local TypeScript is run directly:
 * nothing is fetched. Type errors only warn here (tsc still emits, exit status 2) because `npm test`
 * type-checks first and they should not hide every other test result; a build that emits nothing fails.
 */
export default function setup(): void {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, encoding: 'utf8' });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  if (r.status === 0) return;
  if (r.status === 2) {
    process.stderr.write(`warning: dist/ was built with type errors:\n${output}\n`);
    return;
  }
  throw new Error(`building dist/ (tsc -p tsconfig.build.json) failed (status ${r.status}):\n${output || r.error}`);
}
