/** What the process-level benchmarks share: the repository root, flag reading, a private build of the sources. */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = dirname(dirname(fileURLToPath(import.meta.url)));

/** `--name value` flags and `--name` switches of this process. */
export function benchArgs(args = process.argv.slice(2)) {
  return {
    flag(name, fallback) {
      const i = args.indexOf(`--${name}`);
      return i >= 0 ? args[i + 1] : fallback;
    },
    has: (name) => args.includes(`--${name}`),
  };
}

/**
 * Build the current sources into node_modules/.cache/NAME (packages still resolve from there), unless
 * `reuse` and a build exists: other work in the same tree rebuilds dist/ at any time, which must not change
 * the code under test mid-run. Returns the path of its `bin/paratransfer.js`.
 */
export function privateBuild(name, reuse) {
  const build = join(root, 'node_modules', '.cache', name);
  if (!reuse || !existsSync(join(build, 'package.json'))) {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', join(build, 'dist')], {
      cwd: root,
      stdio: 'inherit',
    });
    if (r.status !== 0 && r.status !== 2) process.exit(1); // 2: type errors elsewhere, every file emitted
    mkdirSync(join(build, 'bin'), { recursive: true });
    copyFileSync(join(root, 'bin', 'paratransfer.js'), join(build, 'bin', 'paratransfer.js'));
    copyFileSync(join(root, 'package.json'), join(build, 'package.json'));
  }
  return join(build, 'bin', 'paratransfer.js');
}
