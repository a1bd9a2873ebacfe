import names from './entrypoints.json' with { type: 'json' };

/**
 * The bundle's entrypoints (ARCHITECTURE.md, Contracts), named once: `entrypoints.json` is also
 * what `npm run policy:build` compiles (`opa build -e`).
 */
export const ENTRYPOINTS = names as {
  readonly decision: 'verdict/authz/decision';
  readonly batch: 'verdict/authz/batch';
  readonly listFilter: 'verdict/authz/list_filter';
};

/** One of {@link ENTRYPOINTS}. */
export type Entrypoint = (typeof ENTRYPOINTS)[keyof typeof ENTRYPOINTS];
