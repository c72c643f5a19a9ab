import type { ExperimentConfig } from '../config/schema.js';

// Placeholder while the safetensors writer is being written (helper task).
export function saveWeights(_dir: string, _weights: Record<string, Float64Array>, _config: ExperimentConfig): void {
  throw new Error('not yet implemented');
}
