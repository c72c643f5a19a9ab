import { coefEngine } from './coef.js';
import { coefPlan, denseCost } from './cost.js';
import { denseEngine } from './dense.js';
import type { Engine, TrainProblem } from './types.js';

/** Picks, per training problem, the engine with fewer multiply-adds by the cost model of cost.ts. */
function resolve(p: TrainProblem): Engine {
  return coefPlan(p).total < denseCost(p) ? coefEngine : denseEngine;
}

export const autoEngine: Engine = {
  name: 'auto',
  resolve,
  train: (p) => resolve(p).train(p),
  scores: denseEngine.scores,
};
