import type { Command } from 'commander';

// Placeholder while the train command is being written (helper task).
export function registerTrain(_program: Command): void {}
