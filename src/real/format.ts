import { phases, type SummaryOptions } from '../study/types.js';
import { percent, percentRange, samplingInterval, signedPoints, singleSeedLines } from '../study/verdict.js';
import { textTable } from '../util/table.js';
import type { CurvePoint, RealResult, TaskSummary } from './types.js';

const int = (x: number) => x.toLocaleString('en-US');

function taskLine(label: string, t: TaskSummary, epochs: string, extra: string[]): string {
  const classes = t.classNames.length <= 10 ? t.classes.join(',') : `${t.classes.length} classes`;
  const noise = [...extra, ...(t.flippedLabels ? [`${t.flippedLabels} training labels flipped`] : [])].map((x) => `, ${x}`).join('');
  return `  ${label.padEnd(10)} ${t.dataset} classes ${classes}: ${t.train} train / ${t.test} test images, ${epochs}${noise}`;
}

/** Epochs trained against the most allowed: "4 epochs", or "37 of 200 epochs (stopLoss)". */
function epochsText(trained: number[], most: number): string {
  if (trained.every((e) => e === most)) return `${most} epochs`;
  return `${trained.join(' / ')} of ${most} epochs`;
}

function curveTable(title: string, rows: [string, CurvePoint[]][]): string[] {
  // Phases stopped by the loss rule end at different epochs: one column per epoch any of them was measured at.
  const epochs = [...new Set(rows.flatMap(([, c]) => c.map((p) => p.epoch)))].sort((a, b) => a - b);
  const lines = [`  test accuracy by epoch (${title}):`];
  lines.push(`    ${'epoch'.padEnd(9)}${epochs.map((e) => String(e).padStart(7)).join('')}`);
  for (const [name, curve] of rows) {
    const at = new Map(curve.map((p) => [p.epoch, p]));
    lines.push(
      `    ${name.padEnd(9)}${epochs
        .map((e) => {
          const p = at.get(e);
          return (p ? `${(100 * p.testAccuracy).toFixed(1)}%` : '').padStart(7);
        })
        .join('')}`,
    );
  }
  return lines;
}

/** The human-readable summary of `paratransfer real`. */
export function formatRealSummary(r: RealResult, opts: SummaryOptions): string {
  const { source: name, timings } = opts;
  const c = r.config;
  const inh = r.inheritance;
  const lines: string[] = [];
  lines.push(`paratransfer real ${name}  (seed ${c.seed})`);
  lines.push(`  ${'network'.padEnd(10)} ${r.architecture.description}, ${int(r.architecture.parameters)} parameters`);
  const up: string[] = [];
  if (c.upstreamMix > 0) up.push(`${(100 * c.upstreamMix).toFixed(0)}% of each class from ${c.upstreamMixData}`);
  if (c.pixelNoise1 > 0) up.push(`pixel noise σ = ${c.pixelNoise1}`);
  const down = c.pixelNoise2 > 0 ? [`pixel noise σ = ${c.pixelNoise2}`] : [];
  const upEpochs = r.upstreamFile ? `loaded from ${r.upstreamFile.path}` : epochsText([r.upstream.epochs], c.epochs1);
  lines.push(taskLine('upstream', r.data.upstream, upEpochs, up));
  lines.push(taskLine('downstream', r.data.downstream, epochsText([r.transfer.epochs, r.scratch.epochs], c.epochs2), down));
  const rule = [
    ...(c.stopLoss > 0 ? [`each phase stops once its training loss < ${c.stopLoss}`] : []),
    ...(c.headEpochs > 0 ? [`the first ${c.headEpochs} downstream epochs train only the head`] : []),
  ];
  if (rule.length) lines.push(`  ${'protocol'.padEnd(10)} ${rule.join('; ')}`);
  const how =
    inh.strategy === 'layers'
      ? `first ${c.inheritLayers} layer${c.inheritLayers === 1 ? '' : 's'} whole`
      : `${inh.strategy} α=${c.alpha}`;
  lines.push(
    `  ${'transfer'.padEnd(10)} ${how}, ${c.freezeInherited ? 'frozen' : 'fine-tuned'}: ${int(inh.parameters)} of ${int(inh.total)} parameters inherited; classifier head ${inh.head}`,
  );
  lines.push(
    `  ${''.padEnd(10)} ${inh.layers
      .map((l) => `${l.layer} ${l.role === 'body' || inh.head === 'inherited' ? (l.inheritedFilters === null ? `${l.inherited}/${l.parameters}` : `${l.inheritedFilters}/${l.filters}`) : l.role === 'fixed' ? 'fixed' : 'new'}`)
      .join(' · ')}`,
  );
  const mitigations = [
    ...(c.l2sp > 0 ? [`L2-SP λ=${c.l2sp}`] : []),
    ...(c.shrink > 0 ? [`shrink ${c.shrink}`] : []),
    ...(c.perturb > 0 ? [`perturb σ=${c.perturb}`] : []),
  ];
  if (mitigations.length) lines.push(`  ${''.padEnd(10)} inherited entries: ${mitigations.join(', ')}`);
  lines.push(`  ${''.padEnd(10)} optimiser ${c.optimizer} lr=${c.lr}${c.lr2 > 0 ? ` (downstream ${c.lr2})` : ''}${c.optimizer === 'sgd' ? ` momentum=${c.momentum}` : ''} weight decay=${c.weightDecay}, batch ${c.batchSize}`);
  lines.push('');
  const rows = phases.map((ph) => {
    const p = r[ph];
    const tested = ph === 'upstream' ? r.data.upstream.test : r.data.downstream.test;
    return [ph, percent(p.testAccuracy), percentRange(samplingInterval(p.testAccuracy, tested)), p.testLoss.toFixed(4), percent(p.trainAccuracy)];
  });
  lines.push(...textTable(['run', 'test accuracy', '95% (test set)', 'test loss', 'train accuracy'], rows, 'lrrrr'));
  lines.push('');
  lines.push(`  transfer gain = acc_transfer − acc_scratch = ${signedPoints(r.gain)} points (one seed: not a verdict)`);
  lines.push(...singleSeedLines({ command: 'real', measure: 'test accuracy', seed: c.seed }));
  lines.push('');
  lines.push(...curveTable('upstream', [['upstream', r.upstream.curve]]));
  lines.push(
    ...curveTable('downstream', [
      ['transfer', r.transfer.curve],
      ['scratch', r.scratch.curve],
    ]),
  );
  if (timings) {
    lines.push('');
    lines.push(
      `  timings: ${phases.map((ph) => `${ph} ${(timings[ph] ?? 0).toFixed(1)} s`).join(', ')}; ${int(Math.round(timings.imagesPerSecond ?? 0))} training images/s`,
    );
  }
  return lines.join('\n');
}
