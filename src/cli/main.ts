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
    .configureOutput({ outputError: (str, write) => write(str) });
  const names = command !== undefined && Object.hasOwn(commands, command) ? [command] : Object.keys(commands);
  for (const register of await Promise.all(names.map((n) => commands[n]()))) register(program);
  return program;
}

/** Run the CLI; returns the exit code. User errors are one line on stderr, never a stack trace. */
export async function main(argv: string[]): Promise<number> {
  try {
    const program = await buildProgram(argv[2]);
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
