/**
 * Images per class of the shipped datasets, as their pinned packages hold them (test/real/data.test.ts counts them):
 * what a task can draw, known without loading a dataset, so a config that asks for more fails at validation rather
 * than when its run starts. Pure: the config schema (also in the browser) reads it.
 */
export const builtinClassCounts: Readonly<Record<string, readonly number[]>> = {
  mnist: [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978],
  'fashion-mnist': [7000, 7000, 7000, 7000, 7000, 7000, 7000, 7000, 7000, 7000],
};
