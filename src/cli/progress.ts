import cliProgress from 'cli-progress';
import { formatSeconds } from '../study/guard.js';

/**
 * Progress of long work on stderr: a bar on a terminal; without one (a log file, CI, a pipe) one line at every
 * tenth of the work and at least once a minute, with done/total and the ETA. The ETA is the time per unit so
 * far times the units left, shown only once there is data (a unit done and a second elapsed): never a guess.
 */
export interface Progress {
  update(done: number, payload?: Record<string, string | number>): void;
  stop(): void;
}

export interface ProgressOptions {
  /** what is counted (default "steps") */
  unit?: string;
  /** also show the rate (units per second since the start) */
  rate?: boolean;
  /**
   * without a terminal, say nothing during the first this many seconds (default 0): a short run stays quiet,
   * a long one reports
   */
  quietSeconds?: number;
  /** payload fields shown after the count, in this order, e.g. ["failed", "workers"] */
  fields?: readonly string[];
  /** where lines go (tests); default process.stderr */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** clock in ms (tests) */
  now?: () => number;
}

/** Lines without a terminal: at every tenth of the work, and at least this often (ms). */
const lineEvery = 60_000;

/** The ETA from what is known so far, or null before there is data to go on. */
export function etaSeconds(done: number, total: number, elapsedSeconds: number): number | null {
  if (done <= 0 || elapsedSeconds < 1 || total <= done) return done >= total ? 0 : null;
  return (elapsedSeconds / done) * (total - done);
}

const etaText = (eta: number | null) => (eta === null ? '—' : eta === 0 ? '0 s' : formatSeconds(eta));

export function progressBar(total: number, enabled: boolean, label = 'training', opts: ProgressOptions = {}): Progress {
  const stream = opts.stream ?? process.stderr;
  if (!enabled || total <= 0) return { update() {}, stop() {} };
  const now = opts.now ?? (() => performance.now());
  const unit = opts.unit ?? 'steps';
  const fields = opts.fields ?? [];
  const t0 = now();
  const rateOf = (done: number, s: number) => (s > 0 ? Math.round(done / s) : 0);
  if (stream.isTTY) {
    const extra = fields.map((f) => ` | {${f}} ${f}`).join('');
    const rate = opts.rate ? ` | {rate} ${unit}/s` : '';
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: `${label} {bar} {percentage}% | {phase}{value}/{total} ${unit}${extra}${rate} | ETA {etaText}`,
        hideCursor: true,
        clearOnComplete: true,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { phase: '', rate: '—', etaText: '—', ...Object.fromEntries(fields.map((f) => [f, ''])) });
    return {
      update: (done, payload = {}) => {
        const s = (now() - t0) / 1000;
        const phase = payload.phase === undefined ? '' : `${payload.phase} `;
        bar.update(done, { ...payload, phase, rate: rateOf(done, s), etaText: etaText(etaSeconds(done, total, s)) });
      },
      stop: () => bar.stop(),
    };
  }
  let next = 1;
  let last = t0;
  let current = { done: 0, payload: {} as Record<string, string | number> };
  const quiet = (opts.quietSeconds ?? 0) * 1000;
  const line = (done: number, payload: Record<string, string | number>) => {
    const s = (now() - t0) / 1000;
    const parts = [`${done}/${total} ${unit} (${Math.floor((100 * done) / total)}%)`];
    if (payload.phase !== undefined) parts.push(String(payload.phase));
    for (const f of fields) if (payload[f] !== undefined) parts.push(`${payload[f]} ${f}`);
    if (opts.rate) parts.push(`${rateOf(done, s)} ${unit}/s`);
    parts.push(`elapsed ${formatSeconds(s)}`, `ETA ${etaText(etaSeconds(done, total, s))}`);
    stream.write(`paratransfer: ${label}: ${parts.join(', ')}\n`);
  };
  // Work whose units take minutes each still reports once a minute.
  const timer = setInterval(() => {
    const t = now();
    if (t - t0 >= quiet && t - last >= lineEvery) {
      line(current.done, current.payload);
      last = t;
    }
  }, lineEvery);
  timer.unref();
  return {
    update: (done, payload = {}) => {
      current = { done, payload };
      const t = now();
      const tenth = Math.floor((10 * done) / total);
      if (t - t0 < quiet) {
        next = Math.max(next, tenth + 1);
        return;
      }
      if (tenth >= next || t - last >= lineEvery) {
        line(done, payload);
        next = tenth + 1;
        last = t;
      }
    },
    stop: () => clearInterval(timer),
  };
}
