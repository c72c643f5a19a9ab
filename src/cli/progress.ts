import cliProgress from 'cli-progress';

/** A progress bar on stderr when it is a terminal and output is for people; otherwise nothing. */
export interface Progress {
  update(done: number, payload?: Record<string, string | number>): void;
  stop(): void;
}

export interface ProgressOptions {
  /** what is counted (default "steps") */
  unit?: string;
  /** also show the rate (units per second since the start) */
  rate?: boolean;
}

export function progressBar(total: number, enabled: boolean, label = 'training', opts: ProgressOptions = {}): Progress {
  if (!enabled || !process.stderr.isTTY) return { update() {}, stop() {} };
  const unit = opts.unit ?? 'steps';
  const rate = opts.rate ? ` | {rate} ${unit}/s` : '';
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${label} {bar} {percentage}% | {phase} {value}/{total} ${unit}${rate} | ETA {eta_formatted}`,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  const t0 = performance.now();
  bar.start(total, 0, { phase: '', rate: '—' });
  return {
    update: (done, payload) => {
      const s = (performance.now() - t0) / 1000;
      bar.update(done, opts.rate ? { rate: s > 0 ? Math.round(done / s) : '—', ...payload } : payload);
    },
    stop: () => bar.stop(),
  };
}
