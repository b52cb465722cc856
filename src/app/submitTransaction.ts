/**
 * Submit one transaction: score it and store its decision, idempotent on its id, with group
 * commit (see {@link groupCommit}).
 */
import type { RuleSet } from '../core/rules.js';
import type { Model } from '../core/model/model.js';
import type { Decision } from '../core/scoring.js';
import type { Transaction } from '../core/transaction.js';
import type { Alert } from '../core/views.js';
import type { DecisionStore } from '../ports/DecisionStore.js';
import type { FeatureSource } from '../ports/FeatureSource.js';
import { type DecidedIds, scoreBatch } from '../pipeline/score.js';

/** The ports and hooks the group commit uses. */
export interface GroupCommitDeps {
  /** Where decisions are looked up and stored. */
  decisions: DecisionStore;
  /** Decisions being committed elsewhere and not visible in `decisions` yet: a submission of such an id is a duplicate. */
  committing?: (id: string) => Promise<Decision> | undefined;
  features: FeatureSource;
  /** The rule set in force, read once per group. */
  rules: () => RuleSet;
  model?: Model;
  /** Alerts raised by a stored group. */
  onAlerts?: (alerts: Alert[]) => void;
  /** The features observed transactions that were stored nowhere (a failed or lost commit). */
  onCommitFailed?: (error: unknown) => void;
  now?: () => Date;
}

/** A submitted transaction's decision, and whether it was decided before. */
export interface Submitted {
  decision: Decision;
  duplicate: boolean;
}

/** A request waiting for its group to be committed. */
interface Waiting {
  tx: Transaction;
  resolve: (s: Submitted) => void;
  reject: (e: unknown) => void;
}

/**
 * Group commit for `POST /transactions`: the transactions that arrive in one turn of the event
 * loop go through the stages of a file batch together (one duplicate lookup, scoring in arrival
 * order, one store of the decisions), and each request is answered once its group is stored, so
 * an answered decision is as durable as before. Per request, the lookup, the commit and its WAL
 * pages were most of the cost of a POST; under load a group holds as many requests as arrived
 * together. Groups are stored one after the other, so transactions are scored in arrival order
 * whatever the store. A group whose store fails fails every request in it, and none of it is
 * stored; the feature windows counted it already, which `onCommitFailed` reports.
 */
export function groupCommit(deps: GroupCommitDeps): { submit(tx: Transaction): Promise<Submitted> } {
  let group: Waiting[] = [];
  // Ids submitted and not committed yet: a second POST of one waits for the first one's answer.
  const inFlight = new Map<string, Promise<Submitted>>();
  // The group being stored: the next one starts after it.
  let previous: Promise<void> = Promise.resolve();
  // On this thread, not the commit worker: a request's own commit is small, and handing it to the
  // worker cost more CPU in messages and thread wake-ups than it saved (docs/performance.md).
  const flush = async (waiting: Waiting[]): Promise<void> => {
    let observed = false;
    try {
      const ids = waiting.map((w) => w.tx.transactionId);
      const prior = await deps.decisions.findDecisions(ids);
      // Scored by a file batch since these requests arrived and not stored yet: duplicates too,
      // answered with that decision once stored (a second decision would fail one of the commits).
      let elsewhere: Map<string, Promise<Decision>> | undefined;
      if (deps.committing) {
        for (const id of ids) {
          const pending = prior.has(id) ? undefined : deps.committing(id);
          if (pending) (elsewhere ??= new Map()).set(id, pending);
        }
      }
      const later = elsewhere;
      const known: DecidedIds = later === undefined ? prior : { has: (id) => prior.has(id) || later.has(id) };
      // From here on the features may have counted the group.
      observed = true;
      const fresh: { transaction: Transaction }[] = [];
      for (const w of waiting) if (!known.has(w.tx.transactionId)) fresh.push({ transaction: w.tx });
      const scored = scoreBatch(fresh, known, { features: deps.features, rules: deps.rules(), model: deps.model, now: deps.now });
      const stored = await deps.decisions.storeDecisions(scored.decided);
      const decided = new Map<string, Decision>();
      for (const d of stored.stored) decided.set(d.transaction.transactionId, d.decision);
      // Stored by another writer between the lookup and the store: its decision stands.
      const lost = stored.duplicates.length > 0 ? await deps.decisions.findDecisions(stored.duplicates) : undefined;
      for (const w of waiting) {
        const id = w.tx.transactionId;
        const pending = later?.get(id);
        if (pending) {
          pending.then((decision) => w.resolve({ decision, duplicate: true }), w.reject);
          continue;
        }
        const before = prior.get(id) ?? lost?.get(id);
        const decision = before ?? decided.get(id);
        if (decision) w.resolve({ decision, duplicate: before !== undefined });
        else w.reject(new Error(`transaction ${id} was not decided`));
      }
      if (stored.alerts.length > 0) deps.onAlerts?.(stored.alerts);
      if (lost) deps.onCommitFailed?.(new Error(`transactions ${stored.duplicates.join(', ')} were stored by another writer`));
    } catch (e) {
      for (const w of waiting) w.reject(e);
      if (observed) deps.onCommitFailed?.(e);
    } finally {
      for (const w of waiting) inFlight.delete(w.tx.transactionId);
    }
  };
  return {
    submit(tx) {
      const pending = inFlight.get(tx.transactionId);
      if (pending) return pending.then((s) => ({ decision: s.decision, duplicate: true }));
      const done = new Promise<Submitted>((resolve, reject) => {
        if (group.length === 0) {
          setImmediate(() => {
            const waiting = group;
            group = [];
            previous = previous.then(() => flush(waiting));
          });
        }
        group.push({ tx, resolve, reject });
      });
      inFlight.set(tx.transactionId, done);
      return done;
    },
  };
}
