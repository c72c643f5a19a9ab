/** The config keys `paratransfer advise` estimates from data (src/experiment/inputs.ts): data mode refuses `--set` of them. */
export const estimatedKeys = ['uNorm', 'v1Norm', 'v2Norm', 'vCos', 'sigmaP1', 'sigmaP2', 'labelNoise', 'n1', 'n2', 'd', 'patches'] as const;
