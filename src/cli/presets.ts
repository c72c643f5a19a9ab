import type { Command } from 'commander';
import { studies, studyNamed } from '../study/registry.js';
import { presetListing, presetObjects } from './study.js';

export function registerPresets(program: Command): void {
  program
    .command('presets')
    .description('list the presets of every study and their settings')
    .option('--json', 'print the presets with their full configs as JSON')
    .option('--study <name>', `only this study's (${studies.map((s) => s.name).join(', ')})`)
    .action((flags: { json?: boolean; study?: string }) => {
      const chosen = flags.study === undefined ? studies : [studyNamed(flags.study, '--study')];
      if (flags.json) {
        process.stdout.write(JSON.stringify(chosen.flatMap(presetObjects), null, 2) + '\n');
        return;
      }
      const sections = chosen.map((s) => `${s.title} (\`paratransfer ${s.command} <preset>\`):\n\n${presetListing(s)}`);
      process.stdout.write(sections.join('\n\n') + '\n');
    });
}
