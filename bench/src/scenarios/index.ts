import type { Scenario } from '../scenario.js';

/** Every benchmark scenario, in the order `make bench` runs them. Add new ones here. */
export const SCENARIOS: Scenario[] = [];
