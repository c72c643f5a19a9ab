import { totalmem } from 'node:os';
import { UserError } from '../util/errors.js';
import type { AnyStudy, ResourceEstimate } from './types.js';

/**
 * The resource guard (docs/architecture.md, "Resource guard"): before anything runs, every config is priced from
 * the config alone by its study's `estimate`. A config that cannot fit in this machine's memory is refused in one
 * line naming the estimate and the keys that drive it; work estimated to take over a minute announces itself.
 */

/** Runs estimated to take longer than this many seconds print their estimate before they start. */
export const announceAfterSeconds = 60;

/** This machine's memory for one process: physical memory, or the container's limit when lower. */
export function machineMemory(): number {
  const limit = typeof process.constrainedMemory === 'function' ? process.constrainedMemory() : 0;
  const total = totalmem();
  return limit && limit > 0 && limit < total ? limit : total;
}

/** "3.1 GB", "740 MB". */
export function formatBytes(b: number): string {
  if (b >= 1e12) return `${Number((b / 1e12).toPrecision(3))} TB`;
  if (b >= 1e9) return `${b >= 1e11 ? Math.round(b / 1e9) : Number((b / 1e9).toPrecision(2))} GB`;
  return `${Math.max(1, Math.round(b / 1e6))} MB`;
}

/** "45 s", "12 min", "3.2 h", "4.1 days". */
export function formatSeconds(s: number): string {
  if (s < 90) return `${Math.max(1, Math.round(s))} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  if (s < 48 * 3600) return `${Number((s / 3600).toPrecision(2))} h`;
  return `${Math.round(s / 86400)} days`;
}

/** "n1=10000000, patches=2, d=2000": the driving keys with their values. */
function keysOf(config: Record<string, unknown>, keys: readonly string[]): string {
  return keys.map((k) => `${k}=${JSON.stringify(config[k])}`).join(', ');
}

/** Refuse a config that cannot run on this machine (one line: the estimate and the keys driving it). */
export function refuseIfInfeasible(e: ResourceEstimate, config: object, where = 'this config', memory = machineMemory()): void {
  const c = config as Record<string, unknown>;
  if (e.largestArray !== undefined) {
    throw new UserError(
      `${where} cannot run: one of its arrays would hold ${e.largestArray.toExponential(1)} values, more than a JavaScript ` +
        `typed array can (4.3e+9); driven by ${keysOf(c, e.memoryDrivers)}: lower them`,
    );
  }
  if (e.bytes > memory) {
    throw new UserError(
      `${where} needs about ${formatBytes(e.bytes)} of memory, more than this machine's ${formatBytes(memory)}; ` +
        `driven by ${keysOf(c, e.memoryDrivers)}: lower them`,
    );
  }
}

export interface GuardOptions {
  /** the engine the runs use (studies with several) */
  engine?: string;
  /** runs going on at once (worker threads): the total time is shared among them */
  workers?: number;
  /** names the configs in messages, e.g. "grid point 3" (default "this config") */
  describe?: (index: number) => string;
}

/**
 * Price every config before any runs: refuse (UserError) the first one that cannot fit; return the note to print
 * when the whole takes over a minute (undefined otherwise, and for studies without an estimate).
 */
export async function guardRuns(study: AnyStudy, configs: readonly object[], opts: GuardOptions = {}): Promise<string | undefined> {
  if (!study.estimate || !configs.length) return undefined;
  const memory = machineMemory();
  let seconds = 0;
  let worst: { e: ResourceEstimate; config: object } | undefined;
  let peak = 0;
  let bound = false;
  const shared = new Set<string>();
  for (let i = 0; i < configs.length; i++) {
    const e = await study.estimate(configs[i], opts.engine);
    refuseIfInfeasible(e, configs[i], configs.length > 1 ? (opts.describe?.(i) ?? `config ${i + 1}`) : 'this config', memory);
    // Runs sharing work (one reuseKey: one lane keeps e.g. the upstream network) pay its share once.
    const key = study.reuseKey?.(configs[i] as never);
    const paid = key !== undefined && shared.has(key);
    if (key !== undefined) shared.add(key);
    seconds += e.seconds - (paid ? (e.sharedSeconds ?? 0) : 0);
    bound ||= e.mayStopEarly === true;
    peak = Math.max(peak, e.bytes);
    if (!worst || e.seconds > worst.e.seconds) worst = { e, config: configs[i] };
  }
  const workers = Math.max(1, Math.min(opts.workers ?? 1, configs.length));
  const wall = seconds / workers;
  if (wall <= announceAfterSeconds || !worst) return undefined;
  const what = configs.length > 1 ? `${configs.length} runs on ${workers} thread${workers > 1 ? 's' : ''}` : 'this run';
  const fits = peak * workers > memory ? `; ${workers} at once may not fit in ${formatBytes(memory)}: lower --workers` : '';
  return (
    `estimated ${bound ? 'at most ' : ''}${formatSeconds(wall)} for ${what} (peak memory about ${formatBytes(peak)} per run${fits}); ` +
    `time driven by ${keysOf(worst.config as Record<string, unknown>, worst.e.timeDrivers)}` +
    (bound ? ' (training may stop early at its loss target)' : '')
  );
}
