import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { UserError } from '../util/errors.js';
import { benchCnn } from '../real/bench.js';
import { parseThreads } from './study.js';

const python = '/usr/bin/python3';
/** The project's PyTorch peer (same path from src/cli and dist/cli); how to install torch is in its header. */
const defaultPeer = fileURLToPath(new URL('../../bench/peers/cnn_torch.py', import.meta.url));

interface PeerResult {
  imagesPerSecond: number;
  torch: string;
}

/** Run the PyTorch peer on the same protocol (images, threads) if python3 has torch; otherwise say why not. */
function runPeer(script: string, images: number, threads: number): PeerResult | string {
  if (!existsSync(python)) return `${python} not found`;
  const probe = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  if (probe.status !== 0) return `${python} has no torch (apt-get install -y python3-torch)`;
  if (!existsSync(script)) return `peer script ${script} not found`;
  const args = [script, '--images', String(images), '--threads', String(threads)];
  const r = spawnSync(python, args, { encoding: 'utf8', timeout: 600_000 });
  const last = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  try {
    const v = (JSON.parse(last) as { images_per_s?: unknown }).images_per_s;
    if (typeof v === 'number' && v > 0) return { imagesPerSecond: v, torch: probe.stdout.trim() };
  } catch {
    // fall through
  }
  return `the peer failed (status ${r.status}): ${(r.stderr || last).trim().split('\n').pop()}`;
}

interface BenchFlags {
  json?: boolean;
  threads?: string;
  peer: string;
  torch: boolean;
  images?: string;
  repeat?: string;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('benchmarks: `cnn` = training throughput of the reference CNN vs the PyTorch peer, side by side')
    .argument('<workload>', 'cnn')
    .option('--json', 'print JSON; the last line is {"imagesPerSecond": n}')
    .option('--threads <n>', 'threads (default 2)')
    .option('--peer <script>', 'the PyTorch peer script (called with --images N --threads T)', defaultPeer)
    .option('--no-torch', 'do not run the PyTorch peer')
    .option('--images <n>', 'images per timed epoch (default 4096, as the peer)')
    .option('--repeat <k>', 'alternate ours and the peer k times and report medians (default 1)')
    .action((workload: string, flags: BenchFlags) => {
      if (workload !== 'cnn') throw new UserError(`bench: unknown workload "${workload}" (available: cnn)`);
      const threads = parseThreads(flags.threads) ?? 2;
      const say = (s: string) => {
        if (!flags.json) process.stdout.write(s + '\n');
      };
      say(`reference CNN training (conv 16@3×3 → pool → conv 32@3×3 → pool → linear 10; 28×28×1, batch 64, SGD momentum)`);
      const images = flags.images === undefined ? 4096 : Number(flags.images);
      if (!Number.isInteger(images) || images < 64 || images > 1_000_000) {
        throw new UserError(`--images: must be an integer in [64, 1000000] (got ${flags.images})`);
      }
      const repeat = flags.repeat === undefined ? 1 : Number(flags.repeat);
      if (!Number.isInteger(repeat) || repeat < 1 || repeat > 100) {
        throw new UserError(`--repeat: must be an integer in [1, 100] (got ${flags.repeat})`);
      }
      // Alternate ours and the peer, so a load spike from elsewhere hits both; report medians.
      const oursRuns: number[] = [];
      const peerRuns: number[] = [];
      let peer: PeerResult | string | undefined = flags.torch ? undefined : 'skipped (--no-torch)';
      let used = threads;
      for (let r = 0; r < repeat; r++) {
        const ours = benchCnn({ threads, images });
        used = ours.threads;
        oursRuns.push(ours.imagesPerSecond);
        if (typeof peer === 'string') continue; // skipped, or unavailable
        peer = runPeer(flags.peer, images, used);
        if (typeof peer !== 'string') peerRuns.push(peer.imagesPerSecond);
      }
      const ips = median(oursRuns);
      const row = (label: string, v: number, note: string) =>
        say(`  ${label.padEnd(18)} ${Math.round(v).toLocaleString('en-US').padStart(7)} images/s  (${note})`);
      const runs = (xs: number[]) => (xs.length > 1 ? `; median of ${xs.map((x) => Math.round(x)).join(', ')}` : '');
      row('paratransfer', ips, `${used} thread${used > 1 ? 's' : ''}, WebAssembly SIMD${runs(oursRuns)}`);
      let ratio: number | null = null;
      let peerIps: number | null = null;
      if (typeof peer === 'string' || peer === undefined) {
        say(`  ${'PyTorch'.padEnd(18)} not measured: ${peer}`);
      } else {
        peerIps = median(peerRuns);
        ratio = ips / peerIps;
        row(`PyTorch ${peer.torch}`, peerIps, `${flags.peer}${runs(peerRuns)}`);
        say(`  ${'ratio'.padEnd(18)} ${ratio.toFixed(2)}× PyTorch's images/s (measured side by side in this run)`);
      }
      if (flags.json) {
        const detail = {
          workload: 'cnn',
          threads: used,
          imagesPerSecond: ips,
          runs: oursRuns,
          peer:
            typeof peer === 'string' || peer === undefined
              ? { measured: false, reason: peer }
              : { measured: true, torch: peer.torch, imagesPerSecond: peerIps, runs: peerRuns },
          ratio,
        };
        process.stdout.write(JSON.stringify(detail) + '\n');
        process.stdout.write(JSON.stringify({ imagesPerSecond: ips }) + '\n');
      }
    });
}
