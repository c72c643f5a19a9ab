/**
 * The single-experiment view: the config form, a run in the worker with live charts, the simulated errors next to
 * the theory's prediction, and the α-curve.
 */
import { adviseFromTheory, phases, predict, type Checkpoint, type ExperimentConfig, type ExperimentResult, type GroupMeasures, type Phase } from '../../src/browser.js';
import { LineChart, palette, type Rule, type Series } from './charts.js';
import { cliCommand, configYaml, ConfigForm, type FormState } from './form.js';
import { num, pct, pp, seconds } from './format.js';
import type { AlphaPoint, FromWorker } from './protocol.js';
import { Runner } from './runner.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

const phaseOrder: readonly Phase[] = phases;
type Direction = 'u' | 'v1' | 'v2';

/** Mean over the two classes of a per-class measure (the one present when the other is null). */
function classMean(p: { pos: number | null; neg: number | null }): number | null {
  if (p.pos === null) return p.neg;
  if (p.neg === null) return p.pos;
  return (p.pos + p.neg) / 2;
}

/** The filter groups drawn for each run: downstream transfer runs split into inherited and fresh filters. */
function groupSeries(
  checkpoints: Record<Phase, Checkpoint[]>,
  value: (g: GroupMeasures) => number | null,
  stepX: (t: number) => number,
): Series[] {
  const line = (name: string, color: string, cps: Checkpoint[], pick: (c: Checkpoint) => GroupMeasures | undefined, dash?: string): Series => ({
    name,
    color,
    dash,
    markers: true,
    points: cps.map((c) => {
      const g = pick(c);
      return { x: stepX(c.step), y: g && g.filters !== 0 ? value(g) : null };
    }),
  });
  const tr = checkpoints.transfer;
  const split = tr.some((c) => c.features.inherited);
  const out: Series[] = [line('upstream (Task 1)', palette.upstream, checkpoints.upstream, (c) => c.features.all)];
  if (split) {
    out.push(line('transfer: inherited filters', palette.inherited, tr, (c) => c.features.inherited));
    out.push(line('transfer: fresh filters', palette.fresh, tr, (c) => c.features.fresh));
  } else {
    out.push(line('transfer: all filters', palette.transfer, tr, (c) => c.features.all));
  }
  out.push(line('scratch', palette.scratch, checkpoints.scratch, (c) => c.features.all));
  return out.filter((s) => s.points.length);
}

const escapeHtml = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function startExplorer(onEngine: (name: string, kernels: string) => void): void {
  const runButton = $<HTMLButtonElement>('run');
  const cancelButton = $<HTMLButtonElement>('cancel');
  const alphaButton = $<HTMLButtonElement>('alpha-run');
  const alphaCount = $<HTMLInputElement>('alpha-count');
  const status = $('status');
  const bar = $('progress-bar');
  const direction = $<HTMLSelectElement>('signal-direction');

  const lossChart = new LineChart($('loss-chart'), { xLabel: 'step t', yLabel: 'training loss', yScale: 'log', empty: 'press Run to train' });
  const errorChart = new LineChart($('error-chart'), { xLabel: 'step t', yLabel: 'clean test error', yDomain: [0, undefined], empty: 'press Run to train' });
  const signalChart = new LineChart($('signal-chart'), { xLabel: 'step t', yLabel: 'signal learning', empty: 'press Run to train' });
  const noiseChart = new LineChart($('noise-chart'), { xLabel: 'step t', yLabel: 'noise memorisation', empty: 'press Run to train' });
  const alphaChart = new LineChart($('alpha-chart'), {
    xLabel: 'inheritance ratio α',
    yLabel: 'clean test error',
    xDomain: [0, 1],
    yDomain: [0, undefined],
    height: 320,
    width: 760,
    empty: 'press “Compute α-curve”',
  });

  let checkpoints: Record<Phase, Checkpoint[]> = { upstream: [], transfer: [], scratch: [] };
  let alphaPoints: AlphaPoint[] = [];
  let mode: 'idle' | 'run' | 'alpha' = 'idle';
  let started = 0;
  let alphaConfig: ExperimentConfig | null = null;
  let lastResult: ExperimentResult | null = null;
  let jsonUrl = '';
  let formState: FormState | undefined;
  let yamlUrl = '';

  // Redraws are batched into animation frames so a burst of worker messages costs one draw.
  let pending = false;
  const redraw = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      drawRunCharts();
    });
  };

  const logSteps = $<HTMLInputElement>('log-steps');
  const runCharts = [lossChart, errorChart, signalChart, noiseChart];
  // On a log axis the step is shifted by one so that the initialisation (t = 0) has a place.
  const stepX = (t: number) => (logSteps.checked ? t + 1 : t);
  logSteps.addEventListener('change', () => {
    for (const c of runCharts) c.setOptions({ xScale: logSteps.checked ? 'log' : 'linear', xLabel: logSteps.checked ? 'step t + 1' : 'step t' });
    drawRunCharts();
  });

  function drawRunCharts() {
    const colors: Record<Phase, string> = { upstream: palette.upstream, transfer: palette.transfer, scratch: palette.scratch };
    const names: Record<Phase, string> = { upstream: 'upstream (Task 1)', transfer: 'transfer', scratch: 'scratch' };
    const perPhase = (y: (c: Checkpoint) => number): Series[] =>
      phaseOrder
        .filter((p) => checkpoints[p].length)
        .map((p) => ({ name: names[p], color: colors[p], markers: true, points: checkpoints[p].map((c) => ({ x: stepX(c.step), y: y(c) })) }));
    lossChart.update(perPhase((c) => c.trainLoss));
    errorChart.update(perPhase((c) => c.testError));
    const dir = direction.value as Direction;
    signalChart.setOptions({ yLabel: `signal learning along ${dir === 'u' ? 'u' : dir === 'v1' ? 'v₁' : 'v₂'}` });
    signalChart.update(groupSeries(checkpoints, (g) => classMean(g.signalLearning[dir]), stepX));
    noiseChart.update(groupSeries(checkpoints, (g) => g.noiseMemorization, stepX));
  }
  direction.addEventListener('change', drawRunCharts);

  function setBusy(next: typeof mode) {
    mode = next;
    form.setDisabled(next !== 'idle');
    cancelButton.disabled = next === 'idle';
    runButton.textContent = next === 'run' ? 'Running…' : 'Run';
    alphaButton.textContent = next === 'alpha' ? 'Computing…' : 'Compute α-curve';
    updateButtons();
  }

  function updateButtons() {
    const ok = formState?.config != null;
    runButton.disabled = !ok || mode !== 'idle';
    const n = Number(alphaCount.value);
    const countOk = Number.isInteger(n) && n >= 2 && n <= 21;
    $('alpha-error').textContent = countOk ? '' : 'must be an integer in [2, 21]';
    alphaButton.disabled = !ok || !countOk || mode !== 'idle';
  }

  function setProgress(fraction: number, text: string) {
    (bar.firstElementChild as HTMLElement).style.width = `${(100 * Math.max(0, Math.min(1, fraction))).toFixed(1)}%`;
    bar.setAttribute('aria-valuenow', (100 * fraction).toFixed(0));
    status.textContent = text;
    status.classList.remove('error');
  }

  function showTheory(c: ExperimentConfig | null) {
    const t = c ? predict(c) : null;
    $('theory-gamma').textContent = t ? num(t.Gamma) : '—';
    const regime = $('theory-regime');
    regime.textContent = t ? `${t.regime} transfer` : '—';
    regime.className = t ? `regime ${t.regime}` : '';
    $('theory-errors').innerHTML = t
      ? `<span class="c-transfer">${pct(t.predictedTransferError)}</span> / <span class="c-scratch">${pct(t.predictedScratchError)}</span> <span class="sub">(Δ ${pp(t.predictedGain)})</span>`
      : '—';
    $('theory-lambda').textContent = t ? `${num(t.Lambda2)} (${t.scratchBayesOptimal ? 'scratch near Bayes-optimal' : 'scratch not Bayes-optimal'})` : '—';
    $('theory-r').textContent = t ? `${num(t.R1)}, ${num(t.R2)}` : '—';
    compareWithTheory();
    showAdvice(c);
  }

  /**
   * The advisor's recommendation for the current inputs (α = 0, 0.1, …, 1; docs/theory.md §11). Its boundary
   * search costs a few dozen predictions, so it runs after the panel has been drawn, and only for the latest inputs.
   */
  let adviceFor = 0;
  function showAdvice(c: ExperimentConfig | null) {
    const el = $('advice');
    const ticket = ++adviceFor;
    if (!c) {
      el.textContent = '—';
      return;
    }
    el.textContent = 'advice: …';
    setTimeout(() => {
      if (ticket !== adviceFor) return;
      const a = adviseFromTheory(c);
      el.innerHTML = `<strong class="decision ${a.decision}">${
        a.decision === 'transfer' ? `Advice: transfer with α = ${a.recommendedAlpha}` : 'Advice: train from scratch'
      }</strong> <span class="sub">(paratransfer advise)</span><br>${escapeHtml(a.reason)}`;
    }, 30);
  }

  /** After a run: does the measured sign of Δ agree with the predicted regime (for the config that ran)? */
  function compareWithTheory() {
    const el = $('theory-check');
    if (!lastResult) {
      el.textContent = '';
      return;
    }
    const t = predict(lastResult.config);
    const observed = lastResult.gain > 0 ? 'positive' : lastResult.gain < 0 ? 'negative' : 'neutral';
    const agree = observed === t.regime;
    el.innerHTML = `Last run (seed ${lastResult.config.seed}): measured <strong>${observed}</strong> transfer, predicted <strong>${t.regime}</strong>: <span class="${agree ? 'agree' : 'disagree'}">${agree ? 'the theory agrees' : 'the theory disagrees'}</span>.`;
  }

  function clearResult() {
    for (const p of phaseOrder) {
      $(`${p}-error`).textContent = '—';
      $(`${p}-error`).removeAttribute('data-value');
      $(`${p}-pct`).textContent = '';
      $(`${p}-noisy`).textContent = '—';
      $(`${p}-loss`).textContent = '—';
    }
    $('gain').textContent = '—';
    $('gain-verdict').textContent = '';
    $('run-foot').textContent = '';
    lastResult = null;
    compareWithTheory();
    const a = $<HTMLAnchorElement>('download-json');
    a.removeAttribute('href');
    a.classList.add('disabled');
    a.setAttribute('aria-disabled', 'true');
  }

  function showResult(r: ExperimentResult, json: string, secs: number) {
    lastResult = r;
    for (const p of phaseOrder) {
      const e = $(`${p}-error`);
      // The element's text is the number itself (shortest round-trip form), so it can be compared exactly.
      e.textContent = String(r[p].testError);
      e.dataset.value = String(r[p].testError);
      $(`${p}-pct`).textContent = pct(r[p].testError);
      $(`${p}-noisy`).textContent = pct(r[p].testErrorNoisy);
      $(`${p}-loss`).textContent = num(r[p].trainLoss);
    }
    $('gain').textContent = pp(r.gain);
    $('gain').dataset.value = String(r.gain);
    const verdict = $('gain-verdict');
    // One seed is one draw: the sign is shown, not a verdict (the CLI's --seeds K gives the interval and the verdict).
    verdict.textContent = `${r.gain > 0 ? 'transfer ahead' : r.gain < 0 ? 'scratch ahead' : 'no difference'} on seed ${r.config.seed} (one seed: not a verdict)`;
    verdict.className = `verdict ${r.gain > 0 ? 'positive' : r.gain < 0 ? 'negative' : ''}`;
    const inh = r.inheritance;
    $('run-foot').textContent =
      `${inh.filtersPerClass === null ? `${inh.parameters} parameters` : `${inh.filtersPerClass} of ${r.config.m} filters per class`} inherited (${inh.strategy}` +
      `${r.config.freezeInherited ? ', frozen' : ''}); engine ${r.engine}; ${r.config.nTest} test samples per task; ${seconds(secs)} in this browser.`;
    compareWithTheory();
    if (jsonUrl) URL.revokeObjectURL(jsonUrl);
    jsonUrl = URL.createObjectURL(new Blob([json + '\n'], { type: 'application/json' }));
    const a = $<HTMLAnchorElement>('download-json');
    a.href = jsonUrl;
    a.classList.remove('disabled');
    a.removeAttribute('aria-disabled');
  }

  function drawAlpha() {
    const c = alphaConfig ?? formState?.config ?? null;
    const series: Series[] = [];
    const rules: Rule[] = [];
    if (c) {
      const grid = Array.from({ length: 101 }, (_, i) => i / 100);
      const preds = grid.map((alpha) => ({ alpha, p: predict({ ...c, alpha }) }));
      series.push({ name: 'theory: transfer', color: palette.transfer, dash: '6 4', points: preds.map(({ alpha, p }) => ({ x: alpha, y: p.predictedTransferError })) });
      series.push({ name: 'theory: scratch', color: palette.scratch, dash: '6 4', points: preds.map(({ alpha, p }) => ({ x: alpha, y: p.predictedScratchError })) });
      // Where the predicted regime changes sign along α.
      for (let i = 1; i < preds.length; i++) {
        const a = preds[i - 1].p.Gamma;
        const b = preds[i].p.Gamma;
        // Γ = 0 exactly at α = 0 (nothing inherited) is no change of regime.
        if (Number.isFinite(a) && Number.isFinite(b) && Math.abs(a) > 1e-9 && Math.abs(b) > 1e-9 && a > 0 !== b > 0) {
          rules.push({ axis: 'x', value: preds[i - 1].alpha + (0.01 * a) / (a - b), label: 'Γ = 0', color: '#555', dash: '2 3' });
        }
      }
    }
    if (alphaPoints.length) {
      const pts = [...alphaPoints].sort((a, b) => a.alpha - b.alpha);
      series.push({ name: 'measured: transfer', color: palette.transfer, markers: true, format: pct, points: pts.map((p) => ({ x: p.alpha, y: p.transferError })) });
      series.push({ name: 'measured: scratch', color: palette.scratch, markers: true, format: pct, points: pts.map((p) => ({ x: p.alpha, y: p.scratchError })) });
    }
    alphaChart.update(series, rules);
    const foot = $('alpha-foot');
    if (alphaPoints.length && c) {
      const best = [...alphaPoints].sort((a, b) => a.transferError - b.transferError)[0];
      foot.textContent = `Seed ${c.seed}. Lowest measured transfer error ${pct(best.transferError)} at α = ${best.alpha}; scratch does not depend on α (${pct(alphaPoints[0].scratchError)}).`;
    } else {
      foot.textContent = 'Dashed: the theory’s predicted errors; dots: one simulation per α (same seed).';
    }
  }

  const runner = new Runner(
    (m: FromWorker) => {
      const elapsed = (performance.now() - started) / 1000;
      switch (m.type) {
        case 'progress': {
          const done = phaseOrder.indexOf(m.phase) * m.steps + m.step;
          const frac = (m.run + done / (3 * Math.max(1, m.steps))) / m.runs;
          const which = mode === 'alpha' ? `α-curve ${m.run + 1}/${m.runs} · ` : '';
          setProgress(frac, `${which}${m.phase}: step ${m.step} of ${m.steps} · ${seconds(elapsed)}`);
          break;
        }
        case 'checkpoint':
          checkpoints[m.phase].push(m.checkpoint);
          redraw();
          break;
        case 'done':
          // The final result is authoritative: it holds every checkpoint, streamed or not.
          checkpoints = { upstream: m.result.upstream.checkpoints, transfer: m.result.transfer.checkpoints, scratch: m.result.scratch.checkpoints };
          drawRunCharts();
          showResult(m.result, m.json, m.seconds);
          setProgress(1, `Finished in ${seconds(m.seconds)}.`);
          setBusy('idle');
          break;
        case 'alpha-point':
          alphaPoints.push(m.point);
          drawAlpha();
          break;
        case 'alpha-done':
          setProgress(1, `α-curve finished: ${alphaPoints.length} runs in ${seconds(m.seconds)}.`);
          setBusy('idle');
          break;
        case 'error':
          setProgress(0, `Error: ${m.message}`);
          status.classList.add('error');
          setBusy('idle');
          break;
      }
    },
    onEngine,
  );

  const form = new ConfigForm($('fields'), (s: FormState) => {
    formState = s;
    if (s.config) {
      $('cli-command').textContent = cliCommand(s.config, s.preset);
      if (yamlUrl) URL.revokeObjectURL(yamlUrl);
      yamlUrl = URL.createObjectURL(new Blob([configYaml(s.config)], { type: 'text/yaml' }));
      $<HTMLAnchorElement>('download-yaml').href = yamlUrl;
    } else {
      $('cli-command').textContent = 'fix the highlighted fields first';
    }
    showTheory(s.config);
    if (mode === 'idle' && !alphaPoints.length) drawAlpha();
    updateButtons();
  });
  alphaCount.addEventListener('input', updateButtons);

  $('config-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const c = formState?.config;
    if (!c || mode !== 'idle') return;
    checkpoints = { upstream: [], transfer: [], scratch: [] };
    clearResult();
    drawRunCharts();
    started = performance.now();
    setBusy('run');
    setProgress(0, 'Starting…');
    runner.start({ type: 'run', config: c });
  });

  alphaButton.addEventListener('click', () => {
    const c = formState?.config;
    if (!c || mode !== 'idle') return;
    const n = Number(alphaCount.value);
    const alphas = Array.from({ length: n }, (_, i) => Number((i / (n - 1)).toPrecision(12)));
    alphaConfig = c;
    alphaPoints = [];
    drawAlpha();
    started = performance.now();
    setBusy('alpha');
    setProgress(0, 'Starting the α-curve…');
    runner.start({ type: 'alpha-curve', config: c, alphas });
  });

  cancelButton.addEventListener('click', () => {
    const what = mode;
    runner.cancel();
    setBusy('idle');
    setProgress(0, what === 'alpha' ? `α-curve cancelled after ${alphaPoints.length} runs.` : 'Run cancelled.');
  });

  drawRunCharts();
  drawAlpha();
  updateButtons();
}

