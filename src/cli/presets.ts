import type { Command } from 'commander';
import { defaultConfig, presets, presetConfig } from '../config/presets.js';

export function registerPresets(program: Command): void {
  program
    .command('presets')
    .description('list the presets and their settings')
    .option('--json', 'print the presets with their full configs as JSON')
    .action((flags: { json?: boolean }) => {
      if (flags.json) {
        const out = presets.map((p) => ({ name: p.name, description: p.description, config: presetConfig(p) }));
        process.stdout.write(JSON.stringify(out, null, 2) + '\n');
        return;
      }
      for (const p of presets) {
        process.stdout.write(`${p.name}\n  ${p.description}\n`);
        const changed = Object.entries(p.settings)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ');
        process.stdout.write(`  settings: ${changed}\n`);
      }
      const defaults = Object.entries(defaultConfig)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ');
      process.stdout.write(`\nevery preset starts from the defaults:\n  ${defaults}\n`);
    });
}
