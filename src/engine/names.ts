/** The training engines of the synthetic experiment (engine/registry.ts maps each name to its engine). */
export const engineNames = ['dense', 'coef', 'auto'] as const;
export type EngineName = (typeof engineNames)[number];
