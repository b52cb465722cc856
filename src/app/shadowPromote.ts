/**
 * Promotion of a shadow challenger: the one use case behind `fraudmini promote` and
 * `PUT /shadow/promote`. The challenger's rules replace the rules in force through the rules use
 * case (validated, audited with the caller, live at once); its model is installed where the next
 * start loads it (a model is switched by a restart, which rebuilds the label feedback it reads).
 */
import type { AdminCaller } from '../core/rulesChange.js';
import type { RulesUseCases } from './replaceRules.js';

/** The challenger last started in shadow, as kept for its promotion (exactly what ran). */
export interface StoredChallenger {
  /** When it was started (ISO 8601). */
  startedAt: string;
  /** Its rules, if it brought any: their version and a reader of the document that ran. */
  rules: { version: string; document(): Promise<unknown> } | null;
  /** Its model, if it brought one: its version, and how to install it for the next start (returns where). */
  model: { version: string; install(): Promise<string> } | null;
}

/** What promotion needs. */
export interface PromoteShadowDeps {
  /** The challenger last started, or undefined when none ever was. */
  challenger(): Promise<StoredChallenger | undefined>;
  /** The rules use case over the rules in force. */
  rules: Pick<RulesUseCases, 'replace'>;
}

/** What a promotion did. */
export interface Promotion {
  startedAt: string;
  /** The rules now in force, when the challenger brought rules. */
  rules: { version: string } | null;
  /** The model installed for the next start, and where, when the challenger brought one. */
  model: { version: string; path: string } | null;
}

/**
 * Makes the challenger last started the one in force: its rules now, its model from the next
 * start. Undefined when no challenger ever ran. A rules document that no longer validates throws
 * the `RulesError` of `replace`, before the model is touched.
 *
 * @example
 * const done = await promoteShadow(deps, { credential: 'user root', remote: '127.0.0.1' });
 * done?.rules?.version; // 'candidate-7'
 */
export async function promoteShadow(deps: PromoteShadowDeps, by: AdminCaller): Promise<Promotion | undefined> {
  const challenger = await deps.challenger();
  if (!challenger) return undefined;
  const rules = challenger.rules ? await deps.rules.replace(await challenger.rules.document(), by) : null;
  const model = challenger.model ? { version: challenger.model.version, path: await challenger.model.install() } : null;
  return { startedAt: challenger.startedAt, rules, model };
}
