import { Command, CommanderError } from 'commander';
import { studies } from '../study/registry.js';
import { UserError } from '../util/errors.js';
import { version } from '../version.js';

type Register = (program: Command) => void;

/**
 * Every command, in help order, loaded on demand: a command's module pulls in what it needs (SQLite,
 * charts, the sweep pool), and importing all of them costs more than a small run itself.
 */
const commands: Record<string, () => Promise<Register>> = {
  // one command per study: `paratransfer run`, `paratransfer real`, …
  ...Object.fromEntries(studies.map((s) => [s.command, async () => (await import('./study.js')).registerStudyCommand(s)])),
  presets: async () => (await import('./presets.js')).registerPresets,
  train: async () => (await import('./train.js')).registerTrain,
  score: async () => (await import('./score.js')).registerScore,
  eval: async () => (await import('./eval.js')).registerEval,
  bench: async () => (await import('./bench.js')).registerBench,
  sweep: async () => (await import('./sweep.js')).registerSweep,
  worker: async () => (await import('./worker.js')).registerWorker,
  queue: async () => (await import('./queue.js')).registerQueue,
  results: async () => (await import('./results.js')).registerResults,
  report: async () => (await import('./report.js')).registerReport,
  reproduce: async () => (await import('./reproduce.js')).registerReproduce,
  'theory-check': async () => (await import('./theory-check.js')).registerTheoryCheck,
  advise: async () => (await import('./advise.js')).registerAdvise,
  serve: async () => (await import('./serve.js')).registerServe,
};

/** The program with the named command only (when `command` is one), else with every command (help, errors). */
export async function buildProgram(command?: string): Promise<Command> {
  const program = new Command('paratransfer')
    .description('partial parameter transfer between two-layer ReLU CNNs: simulate, measure, predict')
    .version(version)
    .exitOverride()
    // The parser's errors read like every other error: `paratransfer: error: unknown option '--bogus'`.
    .configureOutput({ outputError: (str, write) => write(`paratransfer: ${str}`) });
  const names = command !== undefined && Object.hasOwn(commands, command) ? [command] : Object.keys(commands);
  for (const register of await Promise.all(names.map((n) => commands[n]()))) register(program);
  return program;
}

/**
 * Run the CLI; returns the exit code. User errors are one line on stderr, never a stack trace. Exit codes
 * (README, "Exit codes"): 0 success (also --help, --version); 1 an error caused by what was given — bad usage
 * caught by the argument parser (unknown option, missing argument) or bad input (a config value, a file, a flag's
 * value), always `paratransfer: error: …`; 70 an internal error (a bug: please report it).
 */
export async function main(argv: string[]): Promise<number> {
  try {
    const program = await buildProgram(argv[2]);
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Commander has already printed its message; --help and --version exit 0, bad usage 1 like any user error.
      return e.exitCode === 0 ? 0 : 1;
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
