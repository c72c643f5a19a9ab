/**
 * The training worker: runs the library's runExperiment off the main thread and streams what it measures.
 * Cancelling is done by the page terminating this worker (training is synchronous, so there is nothing to poll).
 */
import { defaultStudy, experimentSchema, type ExperimentConfig, type RunOptions } from '../../src/browser.js';
// The engine `paratransfer run` uses by default (`--engine auto`: per run, the cheaper exact engine by the
// coefficient engine's cost model), so that the numbers here are the CLI's.
import { autoEngine as defaultEngine } from '../../src/engine/auto.js';
import { runExperiment } from '../../src/experiment/run.js';
import { wasmKernelsAvailable } from '../../src/kernels/wasm.js';
import type { FromWorker, ToWorker } from './protocol.js';

const post = (m: FromWorker) => self.postMessage(m);

/** At most one progress message per this many milliseconds (the page redraws on each). */
const progressEveryMs = 50;

function runOne(id: number, config: ExperimentConfig, run: number, runs: number, stream: boolean) {
  let last = 0;
  const opts: RunOptions = {
    engine: defaultEngine,
    onProgress: (phase, step, steps) => {
      const now = performance.now();
      if (step !== steps && now - last < progressEveryMs) return;
      last = now;
      post({ type: 'progress', id, phase, step, steps, run, runs });
    },
    onCheckpoint: stream ? (phase, checkpoint) => post({ type: 'checkpoint', id, phase, checkpoint }) : undefined,
  };
  return runExperiment(config, opts).result;
}

/** The page validates too; this guards the worker against anything else posting to it. */
function validated(config: unknown): ExperimentConfig {
  const r = experimentSchema.safeParse(config);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new Error(`config field "${issue.path.join('.')}": ${issue.message}`);
  }
  return r.data;
}

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const msg = e.data;
  const t0 = performance.now();
  try {
    const config = validated(msg.config);
    if (msg.type === 'run') {
      const result = runOne(msg.id, config, 0, 1, true);
      // `run --json` carries the theory's prediction after the result: the download is that object, bit for bit
      const theory = defaultStudy.theory?.predict(config);
      const json = JSON.stringify(theory ? { ...result, theory } : result);
      post({ type: 'done', id: msg.id, result, json, seconds: (performance.now() - t0) / 1000 });
    } else {
      msg.alphas.forEach((alpha, index) => {
        const r = runOne(msg.id, validated({ ...config, alpha }), index, msg.alphas.length, false);
        const point = {
          alpha,
          transferError: r.transfer.testError,
          scratchError: r.scratch.testError,
          upstreamError: r.upstream.testError,
          gain: r.gain,
        };
        post({ type: 'alpha-point', id: msg.id, point, index });
      });
      post({ type: 'alpha-done', id: msg.id, seconds: (performance.now() - t0) / 1000 });
    }
  } catch (err) {
    post({ type: 'error', id: msg.id, message: err instanceof Error ? err.message : String(err) });
  }
};

post({ type: 'ready', engine: defaultEngine.name, kernels: wasmKernelsAvailable() ? 'wasm-simd' : 'typescript' });
