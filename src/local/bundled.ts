import { fileURLToPath } from 'node:url';

// The files shipped with fraudmini, in a module of their own so that a command needing only their
// paths (`score`, `train`) does not load the local runtime to learn them.

/** The rules file shipped with fraudmini. */
export const BUNDLED_RULES = fileURLToPath(new URL('../../rules/default.json', import.meta.url));
/** The sample transactions shipped with fraudmini. */
export const BUNDLED_SAMPLE = fileURLToPath(new URL('../../samples/transactions.csv', import.meta.url));
