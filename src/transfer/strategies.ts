/**
 * How a downstream network inherits from the upstream one (docs/model.md, transfer): `random` filters per layer
 * (round(α·filters) drawn uniformly, the paper's scheme), the `first` filters, each scalar `entries` with
 * probability α, or whole `layers` (the first `inheritLayers`, how practitioners reuse a backbone). Both studies
 * share these names; a network with a single layer of filters (the synthetic two-layer CNN) has no `layers`.
 */
export const inheritanceStrategies = ['random', 'first', 'entries', 'layers'] as const;
export type InheritanceStrategy = (typeof inheritanceStrategies)[number];

/** The strategies that choose within each layer (all but `layers`). */
export const filterStrategies = ['random', 'first', 'entries'] as const satisfies readonly InheritanceStrategy[];
export type FilterStrategy = (typeof filterStrategies)[number];
