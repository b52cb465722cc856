/**
 * The fraud scenarios the traffic simulator plants, in the order they are reported. The
 * `scenario` column of a generated row holds one of these names (or nothing for legit rows).
 */
export const SCENARIOS = [
  'card_testing',
  'high_amount',
  'compromised_terminal',
  'compromised_card',
  'velocity_burst',
  'impossible_travel',
  'cross_border_transfer',
  'balance_drain',
] as const;

/** A fraud scenario name. */
export type Scenario = (typeof SCENARIOS)[number];

/** Row code of a legit row; a fraud row's code is 1 + its index in {@link SCENARIOS}. */
export const LEGIT = 0;

/** Scenario code (1-based) of a scenario name. */
export function scenarioCode(name: Scenario): number {
  return SCENARIOS.indexOf(name) + 1;
}
