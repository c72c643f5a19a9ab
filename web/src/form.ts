/**
 * The config form: one input per experiment key, grouped as the paper names them, validated with the library's
 * zod schema (the message shown under a field is the schema's own) — the same rules as `paratransfer run --set`.
 */
import {
  defaultConfig,
  experimentSchema,
  experimentShape,
  overrides,
  presetConfig,
  presets,
  type ConfigKey,
  type ExperimentConfig,
} from '../../src/browser.js';

interface FieldDef {
  key: ConfigKey;
  /** symbol as the paper writes it */
  symbol: string;
  /** what it is */
  label: string;
  options?: readonly string[];
}

interface Group {
  title: string;
  fields: FieldDef[];
  /** collapsed by default */
  more?: boolean;
}

export const groups: Group[] = [
  {
    title: 'Transfer',
    fields: [{ key: 'alpha', symbol: 'α', label: 'inheritance ratio' }],
  },
  {
    title: 'Signals',
    fields: [
      { key: 'uNorm', symbol: '‖u‖', label: 'shared signal' },
      { key: 'v1Norm', symbol: '‖v₁‖', label: 'upstream-specific signal' },
      { key: 'v2Norm', symbol: '‖v₂‖', label: 'downstream-specific signal' },
    ],
  },
  {
    title: 'Samples and noise',
    fields: [
      { key: 'n1', symbol: 'N₁', label: 'upstream samples' },
      { key: 'n2', symbol: 'N₂', label: 'downstream samples' },
      { key: 'sigmaP1', symbol: 'σ_p,1', label: 'upstream noise level' },
      { key: 'sigmaP2', symbol: 'σ_p,2', label: 'downstream noise level' },
      { key: 'labelNoise', symbol: 'p', label: 'label-flip probability' },
    ],
  },
  {
    title: 'Network and training',
    fields: [
      { key: 'd', symbol: 'd', label: 'dimension' },
      { key: 'm', symbol: 'm', label: 'filters per class' },
      { key: 'steps', symbol: 'T', label: 'gradient steps per run' },
      { key: 'seed', symbol: 'seed', label: 'random seed' },
    ],
  },
  {
    title: 'More settings',
    more: true,
    fields: [
      { key: 'inheritance', symbol: '', label: 'inherited parameters', options: ['random', 'first', 'entries'] },
      { key: 'freezeInherited', symbol: '', label: 'freeze inherited', options: ['false', 'true'] },
      { key: 'nTest', symbol: 'n_test', label: 'test samples per task' },
      { key: 'patches', symbol: 'P', label: 'patches per input' },
      { key: 'vCos', symbol: 'cos(v₁,v₂)', label: 'task-signal cosine' },
      { key: 'sigma0', symbol: 'σ₀', label: 'initialisation scale' },
      { key: 'lr', symbol: 'η', label: 'step size' },
      { key: 'lossThreshold', symbol: 'ε', label: 'stop at loss ≤ ε (0: never)' },
      { key: 'basis', symbol: '', label: 'direction frame', options: ['random', 'canonical'] },
      { key: 'sampler', symbol: '', label: 'vector sampler', options: ['auto', 'explicit', 'subspace'] },
      { key: 'signalPatch', symbol: '', label: 'signal patch', options: ['first', 'random'] },
      { key: 'checkpoints', symbol: '', label: 'measurement checkpoints' },
    ],
  },
];

const allFields = groups.flatMap((g) => g.fields);

/** Read a text field as the schema expects it: numbers stay numbers, anything unparsable becomes NaN. */
function parseValue(key: ConfigKey, text: string): unknown {
  const def = defaultConfig[key];
  if (typeof def === 'boolean') return text === 'true';
  if (typeof def === 'string') return text;
  const t = text.trim();
  return t === '' ? NaN : Number(t);
}

export interface FormState {
  /** the validated config, or null while any field is invalid */
  config: ExperimentConfig | null;
  errors: Partial<Record<ConfigKey, string>>;
  /** the preset the form started from, and whether any field differs from it */
  preset: string;
  modified: boolean;
}

export class ConfigForm {
  private readonly inputs = new Map<ConfigKey, HTMLInputElement | HTMLSelectElement>();
  private readonly messages = new Map<ConfigKey, HTMLElement>();
  private readonly presetSelect: HTMLSelectElement;
  private readonly presetNote: HTMLElement;
  state!: FormState;

  constructor(
    container: HTMLElement,
    private readonly onChange: (s: FormState) => void,
  ) {
    const presetRow = document.createElement('div');
    presetRow.className = 'preset-row';
    presetRow.innerHTML = `<label for="preset">Preset</label>
      <select id="preset" data-testid="preset">${presets
        .map((p) => `<option value="${p.name}">${p.name}</option>`)
        .join('')}</select>
      <p class="preset-note" data-testid="preset-note"></p>`;
    container.append(presetRow);
    this.presetSelect = presetRow.querySelector('select')!;
    this.presetNote = presetRow.querySelector('.preset-note')!;
    this.presetSelect.addEventListener('change', () => this.setConfig(presetConfig(this.currentPreset()), this.presetSelect.value));

    for (const g of groups) {
      const box = document.createElement(g.more ? 'details' : 'fieldset');
      box.className = 'group';
      box.innerHTML = g.more ? `<summary>${g.title}</summary>` : `<legend>${g.title}</legend>`;
      for (const f of g.fields) box.append(this.field(f));
      container.append(box);
    }
    this.setConfig(presetConfig(presets[0]), presets[0].name);
  }

  private currentPreset() {
    return presets.find((p) => p.name === this.presetSelect.value) ?? presets[0];
  }

  private field(f: FieldDef): HTMLElement {
    const row = document.createElement('div');
    row.className = 'field';
    const id = `field-${f.key}`;
    const label = document.createElement('label');
    label.htmlFor = id;
    label.innerHTML = f.symbol
      ? `<span class="sym">${symbolHtml(f.symbol)}</span> <span class="desc">${f.label}</span>`
      : `<span class="desc">${f.label}</span>`;
    label.title = `config key: ${f.key}`;
    let input: HTMLInputElement | HTMLSelectElement;
    if (f.options) {
      const s = document.createElement('select');
      s.innerHTML = f.options.map((o) => `<option value="${o}">${o}</option>`).join('');
      input = s;
    } else {
      const i = document.createElement('input');
      i.type = 'text';
      i.inputMode = 'decimal';
      i.autocomplete = 'off';
      i.spellcheck = false;
      input = i;
    }
    input.id = id;
    input.name = f.key;
    input.dataset.testid = id;
    const msg = document.createElement('div');
    msg.className = 'field-error';
    msg.id = `${id}-error`;
    msg.dataset.testid = `${id}-error`;
    msg.setAttribute('role', 'alert');
    input.setAttribute('aria-describedby', msg.id);
    input.addEventListener('input', () => this.validate());
    input.addEventListener('change', () => this.validate());
    row.append(label, input, msg);
    this.inputs.set(f.key, input);
    this.messages.set(f.key, msg);
    return row;
  }

  /** Fill every field from a config (e.g. a preset) and validate. */
  setConfig(c: ExperimentConfig, preset?: string): void {
    if (preset) this.presetSelect.value = preset;
    for (const f of allFields) this.inputs.get(f.key)!.value = String(c[f.key]);
    this.validate();
  }

  private validate(): void {
    const raw: Record<string, unknown> = {};
    const errors: Partial<Record<ConfigKey, string>> = {};
    for (const f of allFields) {
      const value = parseValue(f.key, this.inputs.get(f.key)!.value);
      raw[f.key] = value;
      const r = experimentShape[f.key].safeParse(value);
      if (!r.success) errors[f.key] = r.error.issues[0].message;
    }
    // Rules across fields (d must leave room for the directions) come from the whole schema, and its last issue of a
    // field states the full condition: the message the CLI prints for the same value (config/validate.ts).
    const r = experimentSchema.safeParse(raw);
    const config: ExperimentConfig | null = r.success && !Object.keys(errors).length ? r.data : null;
    if (!r.success) {
      for (const issue of r.error.issues) {
        const key = (issue.path[0] as ConfigKey) ?? 'd';
        if (!errors[key] || overrides(issue)) errors[key] = issue.message;
      }
    }
    for (const f of allFields) {
      const msg = errors[f.key] ?? '';
      this.messages.get(f.key)!.textContent = msg;
      this.inputs.get(f.key)!.setAttribute('aria-invalid', msg ? 'true' : 'false');
    }
    const preset = this.currentPreset();
    const base = presetConfig(preset);
    const modified = !config || Object.keys(base).some((k) => base[k as ConfigKey] !== config![k as ConfigKey]);
    this.presetNote.textContent = `${preset.description}${modified ? ' — modified' : ''}`;
    this.state = { config, errors, preset: preset.name, modified };
    this.onChange(this.state);
  }

  setDisabled(disabled: boolean): void {
    this.presetSelect.disabled = disabled;
    for (const i of this.inputs.values()) i.disabled = disabled;
  }
}

/** A config key as axis labels name it: symbol and meaning, e.g. "α (inheritance ratio)". */
export function keyLabel(key: ConfigKey): string {
  const f = allFields.find((x) => x.key === key);
  if (!f) return key;
  return f.symbol ? `${f.symbol} (${f.label})` : f.label;
}

/** σ_p,1 → σ with a subscript; other symbols as written. */
export function symbolHtml(s: string): string {
  const m = /^(.*)_(.+)$/.exec(s);
  return m ? `${m[1]}<sub>${m[2]}</sub>` : s;
}

/** The same run on the command line: preset plus --set for every key that differs from it. */
export function cliCommand(c: ExperimentConfig, presetName: string): string {
  const base = presetConfig(presets.find((p) => p.name === presetName) ?? presets[0]);
  const sets = (Object.keys(c) as ConfigKey[]).filter((k) => c[k] !== base[k]).map((k) => ` --set ${k}=${c[k]}`);
  return `npx paratransfer run ${presetName}${sets.join('')} --json`;
}

/** The config as a YAML mapping (all values are scalars): usable as `paratransfer run config.yaml`. */
export function configYaml(c: ExperimentConfig): string {
  return (Object.keys(c) as ConfigKey[]).map((k) => `${k}: ${c[k]}`).join('\n') + '\n';
}
