import { phases, type SummaryOptions } from '../study/types.js';
import { percentRange, samplingInterval, signedPoints, singleSeedLines } from '../study/verdict.js';
import { textTable } from '../util/table.js';
import type { CurvePoint, RealResult, TaskSummary } from './types.js';

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const int = (x: number) => x.toLocaleString('en-US');

function taskLine(label: string, t: TaskSummary, epochs: number): string {
  const classes = t.classNames.length <= 10 ? t.classes.join(',') : `${t.classes.length} classes`;
  const noise = t.flippedLabels ? `, ${t.flippedLabels} training labels flipped` : '';
  return `  ${label.padEnd(10)} ${t.dataset} classes ${classes}: ${t.train} train / ${t.test} test images, ${epochs} epochs${noise}`;
}

function curveTable(title: string, rows: [string, CurvePoint[]][]): string[] {
  const epochs = rows[0][1].map((p) => p.epoch);
  const lines = [`  test accuracy by epoch (${title}):`];
  lines.push(`    ${'epoch'.padEnd(9)}${epochs.map((e) => String(e).padStart(7)).join('')}`);
  for (const [name, curve] of rows) {
    lines.push(`    ${name.padEnd(9)}${curve.map((p) => `${(100 * p.testAccuracy).toFixed(1)}%`.padStart(7)).join('')}`);
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
  lines.push(taskLine('upstream', r.data.upstream, c.epochs1));
  lines.push(taskLine('downstream', r.data.downstream, c.epochs2));
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
  lines.push(`  ${''.padEnd(10)} optimiser ${c.optimizer} lr=${c.lr}${c.optimizer === 'sgd' ? ` momentum=${c.momentum}` : ''} weight decay=${c.weightDecay}, batch ${c.batchSize}`);
  lines.push('');
  const rows = phases.map((ph) => {
    const p = r[ph];
    const tested = ph === 'upstream' ? r.data.upstream.test : r.data.downstream.test;
    return [ph, pct(p.testAccuracy), percentRange(samplingInterval(p.testAccuracy, tested)), p.testLoss.toFixed(4), pct(p.trainAccuracy)];
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
