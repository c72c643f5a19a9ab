import { Command, CommanderError } from 'commander';
import { UserError } from '../util/errors.js';
import { registerBench } from './bench.js';
import { registerPresets } from './presets.js';
import { registerQueue } from './queue.js';
import { registerReal } from './real.js';
import { registerReport } from './report.js';
import { registerReproduce } from './reproduce.js';
import { registerResults } from './results.js';
import { registerRun } from './run.js';
import { registerServe } from './serve.js';
import { registerSweep } from './sweep.js';
import { registerTrain } from './train.js';
import { version } from './version.js';
import { registerWorker } from './worker.js';

export function buildProgram(): Command {
  const program = new Command('paratransfer')
    .description('partial parameter transfer between two-layer ReLU CNNs: simulate, measure, predict')
    .version(version)
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str) });
  registerRun(program);
  registerPresets(program);
  registerTrain(program);
  registerReal(program);
  registerBench(program);
  registerSweep(program);
  registerWorker(program);
  registerQueue(program);
  registerResults(program);
  registerReport(program);
  registerReproduce(program);
  registerServe(program);
  return program;
}

/** Run the CLI; returns the exit code. User errors are one line on stderr, never a stack trace. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Commander has already printed its message; --help and --version exit 0.
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof UserError) {
      process.stderr.write(`paratransfer: error: ${e.message}\n`);
      return 1;
    }
    const err = e as Error;
    process.stderr.write(`paratransfer: internal error: ${err?.message ?? String(e)}\n`);
    if (process.env.PARATRANSFER_DEBUG) process.stderr.write(`${err?.stack}\n`);
    return 70;
  }
}
