/**
 * What the benchmarks share: the repository root, flag reading, a private build of the sources, and the
 * NumPy peer (bench/peers/synthetic_numpy.py, the synthetic experiment written independently in NumPy).
 */
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
 * Build the current sources into .bench-out/NAME (git-ignored; packages resolve from the repository's
 * node_modules above it, and a node_modules shared with another checkout is never written), unless `reuse`
 * and a build exists: other work in the same tree rebuilds dist/ at any time, which must not change the code
 * under test mid-run. Returns the path of its `bin/paratransfer.js`.
 */
export function privateBuild(name, reuse) {
  const build = join(root, '.bench-out', name);
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

/** The project's NumPy peer; its header says how to install NumPy. */
export const syntheticPeer = join(root, 'bench', 'peers', 'synthetic_numpy.py');

/** A Python that has NumPy: $PARATRANSFER_PYTHON, else python3, else /usr/bin/python3 (Debian's python3-numpy). */
export function numpyPython() {
  const candidates = [process.env.PARATRANSFER_PYTHON, 'python3', '/usr/bin/python3'].filter(Boolean);
  const found = candidates.find((p) => spawnSync(p, ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0);
  if (!found) {
    console.error(
      `bench: the NumPy peer needs a Python with NumPy (tried ${candidates.join(', ')}; set PARATRANSFER_PYTHON):\n` +
        '  apt-get install python3-numpy   or   python3 -m pip install numpy',
    );
    process.exit(1);
  }
  return found;
}

/**
 * The figures the benchmarks compare from the peer's JSON line: seconds of training (its timed regions:
 * upstream, then transfer + scratch) and the clean test errors.
 */
export function peerFigures(stdout) {
  const out = JSON.parse(stdout.trim().split('\n').at(-1));
  const t = out.timings;
  return {
    upstream: t.upstream,
    downstream: t.transfer + t.scratch,
    total: t.upstream + t.transfer + t.scratch,
    errors: [out.upstream.testError, out.transfer.testError, out.scratch.testError],
    out,
  };
}
