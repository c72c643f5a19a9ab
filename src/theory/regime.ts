/** The predicted or observed sign of transfer. */
export type Regime = 'positive' | 'negative' | 'neutral';
