import { createHash } from 'node:crypto';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { compileRuleSet, type RuleSet } from '../../core/rules.js';
import type { Logger } from '../../ports/Logger.js';
import { silentLogger } from '../../ports/Logger.js';
import type { RulesStore } from '../../ports/RulesStore.js';
import type { AdminCaller, RulesChange } from '../../core/rulesChange.js';
import { DynamoStoreError, RulesVersionConflictError } from './DynamoErrors.js';
import { defaultDocumentClient, isConditionalCheckFailed, type Item, queryPages } from './DynamoSupport.js';

/** Options of {@link DynamoRulesStore}. */
export interface DynamoRulesStoreOptions {
  /** Document client (created once per process by the wiring). @default a client for the Lambda environment */
  client?: DynamoDBDocumentClient;
  /** Physical name of the `state` table (`TABLES.state`). */
  stateTable: string;
  /** Clock for `activatedAt`. @default Date.now */
  now?: () => number;
}

/** A stored version of the rules. */
export interface StoredRules {
  version: string;
  document: unknown;
  /** ISO 8601: when this version was first stored (`v#…` items) or made active (`active`). */
  at: string;
}

const ACTIVE_KEY = { pk: 'rules', sk: 'active' } as const;
/** The counter that numbers audit entries (atomic `ADD`), so they sort in the order they were made. */
const AUDIT_SEQUENCE_KEY = { pk: 'rules', sk: 'audit-sequence' } as const;
/** Partition of the audit entries: `sk = c#<sequence, zero-padded>`. */
const AUDIT_PK = 'rules-audit';

/**
 * Rule sets on the state table. Every version is kept as `pk=rules, sk=v#<version>`; the active
 * one is copied to `pk=rules, sk=active` (one GetItem for the scorers). A version is immutable:
 * activating it again with the same document just re-points `active`, with a different document
 * it is refused ({@link RulesVersionConflictError}). The document is stored as its JSON text
 * (`document`) with a SHA-256 of its canonical form (`digest`): exact round trips whatever it
 * holds (empty strings, deep nesting, any number), and the "same document" check is one condition.
 *
 * Every activation is recorded in an audit log (`pk=rules-audit, sk=c#<sequence>`: who, from
 * where, when, the version before and after, the digest) after the version item is stored and
 * before `active` is re-pointed, so no set is ever in force without its entry. An activation
 * whose last step fails leaves an entry for a change that did not happen (the request failed,
 * and a retry records another); entries are never updated or removed.
 *
 * @example
 * const store = new DynamoRulesStore({ client: clients.dynamo, stateTable });
 * await store.activate('2024-06-01', doc);
 */
export class DynamoRulesStore implements RulesStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly table: string;
  private readonly now: () => number;

  constructor(options: DynamoRulesStoreOptions) {
    this.client = options.client ?? defaultDocumentClient();
    this.table = options.stateTable;
    this.now = options.now ?? Date.now;
  }

  async active(): Promise<{ version: string; document: unknown } | undefined> {
    const res = await this.client.send(new GetCommand({ TableName: this.table, Key: ACTIVE_KEY, ConsistentRead: true }));
    return res.Item ? { version: res.Item.version as string, document: parse(res.Item) } : undefined;
  }

  async activate(version: string, document: unknown, by: AdminCaller): Promise<void> {
    if (version === '') throw new DynamoStoreError('a rules version must not be empty');
    const text = JSON.stringify(document);
    const digest = digestOf(document);
    const at = new Date(this.now()).toISOString();
    const previous = await this.active();
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: { pk: 'rules', sk: `v#${version}`, version, document: text, digest, at },
          // Same version and same document: a no-op re-activation (e.g. a retried PUT /rules).
          ConditionExpression: 'attribute_not_exists(pk) OR digest = :digest',
          ExpressionAttributeValues: { ':digest': digest },
        }),
      );
    } catch (e) {
      if (isConditionalCheckFailed(e)) throw new RulesVersionConflictError(version);
      throw e;
    }
    await this.recordChange({
      at,
      credential: by.credential,
      remote: by.remote,
      previousVersion: previous?.version ?? null,
      version,
      digest,
    });
    await this.client.send(
      new PutCommand({ TableName: this.table, Item: { ...ACTIVE_KEY, version, document: text, digest, at } }),
    );
  }

  async changes(limit: number): Promise<RulesChange[]> {
    const res = await this.client.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :c)',
        ExpressionAttributeValues: { ':pk': AUDIT_PK, ':c': 'c#' },
        ScanIndexForward: false,
        Limit: limit,
        ConsistentRead: true,
      }),
    );
    return (res.Items ?? []).map((it) => ({
      at: it.at as string,
      credential: it.credential as string,
      remote: (it.remote as string | undefined) ?? null,
      previousVersion: (it.previousVersion as string | undefined) ?? null,
      version: it.version as string,
      digest: it.digest as string,
    }));
  }

  /** Numbers the entry from the audit counter and stores it under that number (never overwriting one). */
  private async recordChange(change: RulesChange): Promise<void> {
    const seq = await this.client.send(
      new UpdateCommand({
        TableName: this.table,
        Key: AUDIT_SEQUENCE_KEY,
        UpdateExpression: 'ADD #v :one',
        ExpressionAttributeNames: { '#v': 'value' },
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    const n = seq.Attributes?.value as number;
    const item: Item = {
      pk: AUDIT_PK,
      sk: `c#${String(n).padStart(15, '0')}`,
      at: change.at,
      credential: change.credential,
      version: change.version,
      digest: change.digest,
    };
    // Absent attributes stand for null.
    if (change.remote !== null) item.remote = change.remote;
    if (change.previousVersion !== null) item.previousVersion = change.previousVersion;
    await this.client.send(
      new PutCommand({ TableName: this.table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
    );
  }

  /** Every stored version, in version-text order. */
  async versions(): Promise<StoredRules[]> {
    const out: StoredRules[] = [];
    await queryPages(
      this.client,
      {
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :v)',
        ExpressionAttributeValues: { ':pk': 'rules', ':v': 'v#' },
      },
      (items) => {
        for (const it of items) out.push({ version: it.version as string, document: parse(it), at: it.at as string });
        return true;
      },
    );
    return out;
  }
}

/** Options of {@link CachedRules}. */
export interface CachedRulesOptions {
  /** Where the active document is read from. */
  store: Pick<RulesStore, 'active'>;
  /**
   * The rules document used while the store has none (the bundled `rules/default.json`). Without
   * it, `get` fails until a rule set is activated.
   */
  fallback?: unknown;
  /** How long a read stays fresh. @default 30 s */
  ttlMs?: number;
  /** Where a document that does not compile (or a failed read) is reported. @default silent */
  logger?: Logger;
  /** Clock. @default Date.now */
  now?: () => number;
}

/**
 * The rule set in force, compiled once per version and re-read from the store at most once per
 * `ttlMs` (one GetItem per container per TTL, however many invocations). When the stored document
 * does not compile, or the store cannot be read, the last good set stays in force and the
 * problem is logged; before any good set there is the fallback, or an error.
 *
 * @example
 * const rules = new CachedRules({ store: rulesStore, fallback: defaultRules, logger });
 * const set = await rules.get(); // RuleSet
 */
export class CachedRules {
  private readonly store: Pick<RulesStore, 'active'>;
  private readonly fallbackDoc: unknown;
  private readonly ttlMs: number;
  private readonly logger: Logger;
  private readonly now: () => number;
  /** The set `get` returns while fresh. */
  private inForce: RuleSet | undefined;
  /** The last stored document that compiled, by version and digest (compiled once). */
  private lastGood: { set: RuleSet; digest: string } | undefined;
  private fallbackSet: RuleSet | undefined;
  private checkedAt = Number.NEGATIVE_INFINITY;
  private refreshing: Promise<RuleSet> | undefined;

  constructor(options: CachedRulesOptions) {
    this.store = options.store;
    this.fallbackDoc = options.fallback;
    this.ttlMs = options.ttlMs ?? 30_000;
    this.logger = options.logger ?? silentLogger;
    this.now = options.now ?? Date.now;
  }

  /** The rule set in force at `now`, reading the store when the last read is older than the TTL. */
  async get(now: number = this.now()): Promise<RuleSet> {
    if (this.inForce && now - this.checkedAt < this.ttlMs) return this.inForce;
    // Concurrent callers share one read.
    this.refreshing ??= this.refresh(now).finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  /**
   * Forgets the set in force, so that the next {@link get} reads the store: for the process that
   * has just put a new set in force, which must not decide with the one before for a whole TTL.
   */
  invalidate(): void {
    this.inForce = undefined;
  }

  private async refresh(now: number): Promise<RuleSet> {
    const set = await this.read();
    this.inForce = set;
    this.checkedAt = now;
    return set;
  }

  private async read(): Promise<RuleSet> {
    let stored: { version: string; document: unknown } | undefined;
    try {
      stored = await this.store.active();
    } catch (e) {
      if (!this.inForce) throw e;
      this.logger.warn('rules: could not read the active rule set; keeping the one in force', {
        version: this.inForce.version,
        error: e instanceof Error ? e.message : String(e),
      });
      return this.inForce;
    }
    if (!stored) return this.fallback();
    const digest = `${stored.version}\u0000${digestOf(stored.document)}`;
    if (this.lastGood?.digest === digest) return this.lastGood.set;
    try {
      const set = compileRuleSet(stored.document);
      this.lastGood = { set, digest };
      if (set.version !== stored.version) {
        this.logger.warn('rules: the active document names another version than it was stored under', {
          stored: stored.version,
          document: set.version,
        });
      }
      return set;
    } catch (e) {
      const kept = this.inForce ?? this.fallback();
      this.logger.error('rules: the active rule set does not compile; keeping the one in force', {
        version: stored.version,
        kept: kept.version,
        error: e instanceof Error ? e.message : String(e),
      });
      return kept;
    }
  }

  private fallback(): RuleSet {
    if (this.fallbackDoc === undefined) throw new DynamoStoreError('no active rule set in the rules table, and no fallback');
    this.fallbackSet ??= compileRuleSet(this.fallbackDoc);
    return this.fallbackSet;
  }
}

function parse(item: Item): unknown {
  return JSON.parse(item.document as string) as unknown;
}

/** SHA-256 of the document's canonical JSON (object keys sorted), so key order does not matter. */
function digestOf(document: unknown): string {
  return createHash('sha256').update(canonical(document)).digest('hex');
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}
