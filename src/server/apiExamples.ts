/**
 * Requests to a fresh `fraudmini start` and its real answers, in order: the examples of the
 * OpenAPI document (`GET /openapi.json`) and of docs/api.md. The server is the local runtime on an
 * empty data dir with the bundled rules and {@link EXAMPLE_SETUP}'s keys; a test replays the
 * requests against one and checks each answer, so an example cannot drift from what the API
 * does. Only the wall-clock fields (`decided_at`, `created_at`, an audit entry's `at`,
 * `uptime_s`) differ between runs.
 */

/** One request and its answer. */
export interface ApiExample {
  /** Unique among the examples of an operation. */
  name: string;
  summary: string;
  method: 'GET' | 'POST' | 'PUT';
  /** The route as declared (`/transactions/:id`). */
  route: string;
  /** The URL with parameters, the headers beyond content-type, and the JSON body. */
  request: { url: string; headers?: Record<string, string>; body?: unknown };
  status: number;
  response: unknown;
}

/** The settings of the server the examples come from: keys for examples only, known to everyone. */
export const EXAMPLE_SETUP = {
  adminKey: 'docs-admin-key-0123456789abcdef',
  tokenKey: 'docs-token-key-0123456789abcdef',
} as const;

/** The examples, in the order they were sent. */
export const API_EXAMPLES: readonly ApiExample[] = [
  {
    name: 'scored',
    summary: 'a transaction scored now: the high-value rule fires, the decision is review',
    method: 'POST',
    route: '/transactions',
    request: {
      url: '/transactions',
      body: {
        transaction_id: 'T1',
        timestamp: '2026-03-01T12:00:00Z',
        account_id: 'A1',
        card_number: '4000 0000 0000 0002',
        amount: '12500.00',
        currency: 'EUR',
        merchant: 'Electro World',
      },
    },
    status: 201,
    response: {
      transaction_id: 'T1',
      decision: {
        transaction_id: 'T1',
        score: 60,
        outcome: 'review',
        reasons: [{ rule: 'high_value', weight: 60, detail: 'amount 12500.00 EUR is above 10000.00' }],
        model_score: null,
        model_version: null,
        rules_score: 60,
        rules_version: 'default-1',
        decided_at: '2026-12-06T10:30:33.784Z',
      },
    },
  },
  {
    name: 'duplicate',
    summary: 'the same transaction_id again: the first decision, no second one',
    method: 'POST',
    route: '/transactions',
    request: {
      url: '/transactions',
      body: {
        transaction_id: 'T1',
        timestamp: '2026-03-01T12:00:00Z',
        account_id: 'A1',
        card_number: '4000 0000 0000 0002',
        amount: '12500.00',
        currency: 'EUR',
        merchant: 'Electro World',
      },
    },
    status: 200,
    response: {
      transaction_id: 'T1',
      decision: {
        transaction_id: 'T1',
        score: 60,
        outcome: 'review',
        reasons: [{ rule: 'high_value', weight: 60, detail: 'amount 12500.00 EUR is above 10000.00' }],
        model_score: null,
        model_version: null,
        rules_score: 60,
        rules_version: 'default-1',
        decided_at: '2026-12-06T10:30:33.784Z',
      },
      duplicate: true,
    },
  },
  {
    name: 'invalid',
    summary: 'every invalid field, each with its reason',
    method: 'POST',
    route: '/transactions',
    request: {
      url: '/transactions',
      body: { amount: '-5', timestamp: 'yesterday' },
    },
    status: 400,
    response: {
      error: 'invalid_transaction',
      message: 'the transaction has invalid fields',
      errors: [
        { field: 'timestamp', reason: '"yesterday" is not an ISO 8601 time or epoch seconds/milliseconds' },
        { field: 'account_id', reason: 'is required' },
        { field: 'amount', reason: 'must be greater than 0 (got -5)' },
      ],
    },
  },
  {
    name: 'found',
    summary: 'the masked transaction and its decision',
    method: 'GET',
    route: '/transactions/:id',
    request: { url: '/transactions/T1' },
    status: 200,
    response: {
      transaction: {
        transaction_id: 'T1',
        timestamp: '2026-03-01T12:00:00.000Z',
        account_id: 'A1',
        amount: 12500,
        currency: 'EUR',
        card: { token: 'TcwOtTh4H_tpN3J_bz9ac7', bin: '400000', last4: '0002', masked: '400000******0002' },
        merchant: 'Electro World',
      },
      decision: {
        transaction_id: 'T1',
        score: 60,
        outcome: 'review',
        reasons: [{ rule: 'high_value', weight: 60, detail: 'amount 12500.00 EUR is above 10000.00' }],
        model_score: null,
        model_version: null,
        rules_score: 60,
        rules_version: 'default-1',
        decided_at: '2026-12-06T10:30:33.784Z',
      },
    },
  },
  {
    name: 'missing',
    summary: 'no such transaction',
    method: 'GET',
    route: '/transactions/:id',
    request: { url: '/transactions/T404' },
    status: 404,
    response: { error: 'not_found', message: 'no transaction T404' },
  },
  {
    name: 'recorded',
    summary: 'a first label',
    method: 'POST',
    route: '/transactions/:id/label',
    request: {
      url: '/transactions/T1/label',
      body: { label: 'fraud' },
    },
    status: 201,
    response: { transaction_id: 'T1', label: 'fraud', known_at: '2026-03-01T12:00:00.000Z' },
  },
  {
    name: 'unchanged',
    summary: 'the same label again',
    method: 'POST',
    route: '/transactions/:id/label',
    request: {
      url: '/transactions/T1/label',
      body: { label: 'fraud' },
    },
    status: 200,
    response: { transaction_id: 'T1', label: 'fraud', known_at: '2026-03-01T12:00:00.000Z' },
  },
  {
    name: 'conflict',
    summary: 'another label: the first one stays',
    method: 'POST',
    route: '/transactions/:id/label',
    request: {
      url: '/transactions/T1/label',
      body: { label: 'legit' },
    },
    status: 409,
    response: {
      error: 'conflict',
      message: 'transaction T1 is already labelled fraud',
      transaction_id: 'T1',
      label: 'fraud',
      known_at: '2026-03-01T12:00:00.000Z',
    },
  },
  {
    name: 'invalid-label',
    summary: 'not a label',
    method: 'POST',
    route: '/transactions/:id/label',
    request: {
      url: '/transactions/T1/label',
      body: { label: 'maybe' },
    },
    status: 400,
    response: {
      error: 'invalid_label',
      message: 'body must be {"label": "fraud" | "legit"} (or 1 / 0)',
      errors: [{ field: 'label', reason: 'must be fraud, legit, 1 or 0' }],
    },
  },
  {
    name: 'page',
    summary: 'the first page of alerts',
    method: 'GET',
    route: '/alerts',
    request: { url: '/alerts?limit=10' },
    status: 200,
    response: {
      alerts: [
        {
          id: 1,
          transaction_id: 'T1',
          outcome: 'review',
          score: 60,
          reasons: [{ rule: 'high_value', weight: 60, detail: 'amount 12500.00 EUR is above 10000.00' }],
          account_id: 'A1',
          amount: 12500,
          currency: 'EUR',
          timestamp: '2026-03-01T12:00:00.000Z',
          created_at: '2026-12-06T10:30:33.784Z',
          card: '400000******0002',
        },
      ],
      next: '1',
    },
  },
  {
    name: 'bad-since',
    summary: 'a since that is neither an alert id nor a time',
    method: 'GET',
    route: '/alerts',
    request: { url: '/alerts?since=yesterday' },
    status: 400,
    response: { error: 'bad_request', message: 'since must be an alert id (from "next") or an ISO 8601 time' },
  },
  {
    name: 'stats',
    summary: 'the counters',
    method: 'GET',
    route: '/stats',
    request: { url: '/stats' },
    status: 200,
    response: {
      transactions: 1,
      decisions: 1,
      alerts: 1,
      rejected: 0,
      duplicates: 0,
      outcomes: { allow: 0, review: 1, block: 0 },
      files: { processed: 0, failed: 0, processing: 0 },
    },
  },
  {
    name: 'shadow stats',
    summary: 'no challenger has run yet (see docs/detection.md for a comparison)',
    method: 'GET',
    route: '/stats/shadow',
    request: { url: '/stats/shadow' },
    status: 200,
    response: {
      challenger: null,
      rows: 0,
      agreed: 0,
      agreement: null,
      confusion: { allow: { allow: 0, review: 0, block: 0 }, review: { allow: 0, review: 0, block: 0 }, block: { allow: 0, review: 0, block: 0 } },
      flagged: { both: 0, in_force_only: 0, challenger_only: 0 },
      labelled: 0,
      frauds: 0,
      in_force: { flagged: 0, blocked: 0, flagged_labelled: 0, fraud_flagged: 0, precision: null, recall: null },
      shadow: { flagged: 0, blocked: 0, flagged_labelled: 0, fraud_flagged: 0, precision: null, recall: null },
    },
  },
  {
    name: 'no challenger',
    summary: 'with the admin key, before any challenger has run in shadow: nothing to promote',
    method: 'PUT',
    route: '/shadow/promote',
    request: { url: '/shadow/promote', headers: { 'x-admin-key': EXAMPLE_SETUP.adminKey } },
    status: 404,
    response: {
      error: 'not_found',
      message: 'no challenger has run on this data dir: start one with fraudmini start --shadow-rules FILE and/or --shadow-model FILE',
    },
  },
  {
    name: 'replaced',
    summary: 'a valid document, with the admin key: in force',
    method: 'PUT',
    route: '/rules',
    request: {
      url: '/rules',
      headers: { 'x-admin-key': EXAMPLE_SETUP.adminKey },
      body: {
        version: 'shop-2',
        thresholds: { review: 50, block: 80 },
        lists: { blocked: ['Shady Ltd'] },
        rules: [
          { id: 'high_value', when: 'amount > 5000', weight: 60, detail: 'amount {amount} is above 5000' },
          {
            id: 'blocked_merchant',
            when: 'merchant in list("blocked")',
            action: 'block',
            detail: 'merchant {merchant} is blocked',
          },
        ],
      },
    },
    status: 200,
    response: { version: 'shop-2' },
  },
  {
    name: 'invalid-rules',
    summary: 'an invalid document: every problem, nothing changed',
    method: 'PUT',
    route: '/rules',
    request: {
      url: '/rules',
      headers: { 'x-admin-key': EXAMPLE_SETUP.adminKey },
      body: {
        version: 'shop-3',
        rules: [
          { id: 'velocity', when: 'count(card 1m)) > 3', weight: 55 },
          { id: 'heavy', when: 'amount > 1', weight: 500 },
        ],
      },
    },
    status: 400,
    response: {
      error: 'invalid_rules',
      message: 'rules[0] (velocity).when: expected "," or ")" but found 1m at column 12\n  count(card 1m)) > 3\n             ^\nrules rules[1].weight: must be a number 0–100',
      errors: [
        { path: 'rules[0].when', column: 12, reason: 'expected "," or ")" but found 1m' },
        { path: 'rules[1].weight', reason: 'must be a number 0–100' },
      ],
    },
  },
  {
    name: 'no-admin-key',
    summary: 'without the admin key',
    method: 'PUT',
    route: '/rules',
    request: {
      url: '/rules',
      body: { version: 'shop-4', rules: [] },
    },
    status: 401,
    response: { error: 'admin_unauthorized', message: 'missing or wrong x-admin-key header' },
  },
  {
    name: 'in-force',
    summary: 'the rule set in force',
    method: 'GET',
    route: '/rules',
    request: { url: '/rules' },
    status: 200,
    response: {
      version: 'shop-2',
      document: {
        version: 'shop-2',
        thresholds: { review: 50, block: 80 },
        lists: { blocked: ['Shady Ltd'] },
        rules: [
          { id: 'high_value', when: 'amount > 5000', weight: 60, detail: 'amount {amount} is above 5000' },
          {
            id: 'blocked_merchant',
            when: 'merchant in list("blocked")',
            action: 'block',
            detail: 'merchant {merchant} is blocked',
          },
        ],
      },
    },
  },
  {
    name: 'changes',
    summary: 'the newest changes',
    method: 'GET',
    route: '/rules/audit',
    request: {
      url: '/rules/audit?limit=5',
      headers: { 'x-admin-key': EXAMPLE_SETUP.adminKey },
    },
    status: 200,
    response: {
      changes: [
        {
          at: '2026-12-06T10:30:33.869Z',
          credential: 'admin-key sha256:9722e642',
          remote: '127.0.0.1',
          previous_version: 'default-1',
          version: 'shop-2',
          digest: '0d0bf323a7ddb69f53b14d4a68bd00b3eafc84e51630379d0adebb89053d9e35',
        },
        {
          at: '2026-12-06T10:30:33.392Z',
          credential: 'rules file',
          remote: null,
          previous_version: null,
          version: 'default-1',
          digest: '235eac4cd77204ee44bf2c6c3b713d24c43847f3a6e0c14461397ae10e5d7e00',
        },
      ],
    },
  },
  {
    name: 'up',
    summary: 'up, with the rules version in force',
    method: 'GET',
    route: '/healthz',
    request: { url: '/healthz' },
    status: 200,
    response: { status: 'ok', rules_version: 'shop-2', uptime_s: 0 },
  },
];
