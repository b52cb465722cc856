/**
 * The JSON Schemas of the HTTP API's routes, and the options that turn them into its OpenAPI
 * document (`GET /openapi.json`, committed as docs/openapi.json).
 *
 * The schemas document; they do not validate. Request bodies and query parameters are checked by
 * fraudmini's own code (the transaction validator gives every field its reason and masks card
 * numbers, the same validator as for CSV rows and stream records), and responses are written as
 * the routes return them; `buildApi` sets compilers that leave both as they are. The test of the
 * document checks real responses against these schemas instead.
 */
import type { SwaggerOptions } from '@fastify/swagger';
import type { FastifySchema } from 'fastify';
import { ERROR_CODES } from '../app/errors.js';
import { CASE_STATUSES } from '../ports/CaseStore.js';
import { FIELDS } from '../core/schema.js';
import { API_EXAMPLES, type ApiExample } from './apiExamples.js';

type Schema = Record<string, unknown>;

const ref = (id: string): Schema => ({ $ref: `${id}#` });
const text = (description: string, extra: Schema = {}): Schema => ({ type: 'string', description, ...extra });
const nullable = (type: string, description: string): Schema => ({ type: [type, 'null'], description });
/** A page of a list: its items under `key`, and `next`, the cursor of the next page (null on the last). */
const page = (key: string, item: string, description: string): Schema => ({
  description,
  type: 'object',
  required: [key, 'next'],
  properties: { [key]: { type: 'array', items: ref(item) }, next: nullable('string', 'null on the last page') },
});

/** Shared schemas, each a component of the document (`#/components/schemas/<$id>`). */
export const SHARED_SCHEMAS: readonly Schema[] = [
  {
    $id: 'Problem',
    type: 'object',
    description: 'One problem of a request: a field of a transaction or label, or a place in a rules document.',
    required: ['reason'],
    properties: {
      field: text('the field, as the client named it, or `(body)` for the body as a whole'),
      path: text('JSON path in the rules document, such as `rules[1].when`'),
      column: { type: 'integer', description: '1-based column of the problem inside a rule expression' },
      reason: text('what is wrong, for a person'),
    },
  },
  {
    $id: 'Error',
    type: 'object',
    description: 'Every refused or failed request. `error` is a stable code (see the codes table); `message` is for a person.',
    required: ['error', 'message'],
    properties: {
      error: { type: 'string', enum: Object.keys(ERROR_CODES) },
      message: { type: 'string' },
      errors: { type: 'array', items: ref('Problem') },
    },
  },
  {
    $id: 'RuleHit',
    type: 'object',
    description: 'A rule that fired: its id, weight (0 for an action rule) and a sentence saying why.',
    required: ['rule', 'weight', 'detail'],
    properties: {
      rule: { type: 'string' },
      weight: { type: 'number', minimum: 0, maximum: 100 },
      detail: { type: 'string' },
      action: { type: 'string', enum: ['allow', 'review', 'block'] },
    },
  },
  {
    $id: 'Decision',
    type: 'object',
    description: 'The decision for one transaction.',
    required: ['transaction_id', 'score', 'outcome', 'reasons', 'model_score', 'model_version', 'rules_score', 'rules_version', 'decided_at'],
    properties: {
      transaction_id: { type: 'string' },
      score: { type: 'number', minimum: 0, maximum: 100, description: 'rules and model combined' },
      outcome: { type: 'string', enum: ['allow', 'review', 'block'] },
      reasons: { type: 'array', items: ref('RuleHit') },
      model_score: nullable('number', 'the model\'s score 0–100, null without a model'),
      model_version: nullable('string', 'null without a model'),
      rules_score: { type: 'number', minimum: 0, maximum: 100, description: 'the weighted rules\' own score' },
      model_features: {
        type: 'array',
        description: 'with a model, on review and block decisions: the (up to three) features that pushed its score up most',
        items: {
          type: 'object',
          required: ['feature', 'weight', 'value'],
          properties: { feature: { type: 'string' }, weight: { type: 'number' }, value: { type: 'number' } },
        },
      },
      rules_version: { type: 'string' },
      decided_at: text('ISO 8601', { format: 'date-time' }),
    },
  },
  {
    $id: 'Transaction',
    type: 'object',
    description: 'A stored transaction, masked: the card as token, BIN, last 4 and masked number; never a card number.',
    required: ['transaction_id', 'timestamp', 'account_id', 'amount', 'currency'],
    properties: {
      transaction_id: { type: 'string' },
      timestamp: text('ISO 8601', { format: 'date-time' }),
      account_id: { type: 'string' },
      card: {
        type: 'object',
        required: ['masked', 'token'],
        properties: {
          masked: text('BIN and last 4 with the digits between masked'),
          bin: { type: 'string' },
          last4: { type: 'string' },
          token: text('keyed token of the card number: equal cards, equal tokens'),
        },
      },
      amount: { type: 'number' },
      currency: text('ISO 4217'),
      merchant: { type: 'string' },
      merchant_category: { type: 'string' },
      terminal_id: { type: 'string' },
      country: { type: 'string' },
      origin_country: { type: 'string' },
      destination_country: { type: 'string' },
      account_balance: { type: 'number' },
      channel: { type: 'string' },
      device_id: { type: 'string' },
      ip: { type: 'string' },
      label: { type: 'integer', enum: [0, 1], description: 'the label sent with the transaction: 1 fraud, 0 legit' },
      attributes: { type: 'object', additionalProperties: { type: 'string' }, description: 'the body\'s other keys' },
    },
  },
  {
    $id: 'Alert',
    type: 'object',
    description: 'An alert, raised for every review or block decision.',
    required: ['id', 'transaction_id', 'outcome', 'score', 'reasons', 'account_id', 'amount', 'currency', 'timestamp', 'created_at'],
    properties: {
      id: { type: 'integer', description: 'sequence number, increasing' },
      transaction_id: { type: 'string' },
      outcome: { type: 'string', enum: ['review', 'block'] },
      score: { type: 'number' },
      reasons: { type: 'array', items: ref('RuleHit') },
      account_id: { type: 'string' },
      card: text('the masked card number'),
      amount: { type: 'number' },
      currency: { type: 'string' },
      timestamp: text('the transaction\'s time, ISO 8601', { format: 'date-time' }),
      created_at: text('ISO 8601', { format: 'date-time' }),
    },
  },
  {
    $id: 'RulesDocument',
    type: 'object',
    description: 'A rules document, as in a rules file (the rule language is described in docs/rules.md).',
    required: ['rules'],
    properties: {
      version: text('a name for this rule set; default: a hash of the document'),
      description: { type: 'string' },
      thresholds: {
        type: 'object',
        properties: { review: { type: 'number' }, block: { type: 'number' } },
        description: 'scores from which a decision is review, or block',
      },
      lists: {
        type: 'object',
        additionalProperties: { type: 'array', items: { type: 'string' } },
        description: 'named lists of strings, read by `x in list("name")`',
      },
      rules: {
        type: 'array',
        items: {
          type: 'object',
          required: ['id', 'when'],
          properties: {
            id: { type: 'string' },
            version: { type: 'integer', minimum: 1 },
            description: { type: 'string' },
            when: text('the condition, in the rule language: `amount > 10000`'),
            weight: { type: 'number', minimum: 0, maximum: 100 },
            action: { type: 'string', enum: ['allow', 'review', 'block'] },
            detail: text('a sentence with `{expression}` placeholders'),
            enabled: { type: 'boolean' },
          },
        },
      },
    },
  },
  {
    $id: 'Case',
    type: 'object',
    description: 'A case: alerts of one account or card an analyst works together.',
    required: ['id', 'subject', 'status', 'assignee', 'created_at', 'created_by', 'updated_at', 'alert_ids'],
    properties: {
      id: { type: 'integer' },
      subject: {
        type: 'object',
        required: ['kind', 'value'],
        properties: { kind: { type: 'string', enum: ['account', 'card'] }, value: text('the account id, or the masked card number') },
      },
      status: { type: 'string', enum: [...CASE_STATUSES] },
      assignee: nullable('string', 'the user working it; null while nobody is'),
      created_at: text('ISO 8601', { format: 'date-time' }),
      created_by: { type: 'string' },
      updated_at: text('ISO 8601', { format: 'date-time' }),
      alert_ids: { type: 'array', items: { type: 'integer' }, description: 'its alerts, by id' },
    },
  },
  {
    $id: 'CaseEvent',
    type: 'object',
    description: 'An entry of the audit trail of cases and assignments: who did what, to which case or alert, when.',
    required: ['at', 'user', 'action', 'case_id', 'alert_id', 'detail'],
    properties: {
      at: text('ISO 8601', { format: 'date-time' }),
      user: { type: 'string' },
      action: { type: 'string', enum: ['created', 'alert_added', 'assigned', 'status', 'note', 'label'] },
      case_id: nullable('integer', 'null for an alert\'s assignment outside a case'),
      alert_id: nullable('integer', 'the alert it concerns, if one'),
      detail: text('what changed: the new status or assignee, the note, the label and what the label path answered'),
    },
  },
];

/** A JSON value of the transaction body: each field is read from a string or a number. */
const scalar = (description: string): Schema => ({ type: ['string', 'number'], description });
const FIELD_DOCS: Partial<Record<(typeof FIELDS)[number], Schema>> = {
  transaction_id: text('idempotency key, up to 256 characters; absent: derived from the body'),
  timestamp: scalar('ISO 8601, or epoch seconds or milliseconds'),
  account_id: text('the customer or account (alias `customer_id`)'),
  card_number: text('the card number: tokenised on entry, never stored'),
  amount: scalar('decimal greater than 0, as a string (`"42.10"`) or a number'),
  currency: text('ISO 4217; default USD'),
  account_balance: scalar('the balance before the transaction'),
  label: { type: ['string', 'number', 'boolean'], description: 'a known outcome: 1/fraud/true or 0/legit/false' },
};

/** The body of `POST /transactions`. */
const TRANSACTION_INPUT: Schema = {
  type: 'object',
  description:
    'One transaction. Keys are matched case-insensitively, with the same aliases as CSV headers; other keys are kept as ' +
    'attributes. Every invalid field is reported at once, with its reason.',
  required: ['timestamp', 'account_id', 'amount'],
  properties: Object.fromEntries(FIELDS.map((f) => [f, FIELD_DOCS[f] ?? { type: 'string' }])),
  additionalProperties: { type: ['string', 'number', 'boolean', 'null'] },
};

const LABEL_OUT: Schema = {
  type: 'object',
  required: ['transaction_id', 'label', 'known_at'],
  properties: {
    transaction_id: { type: 'string' },
    label: { type: 'string', enum: ['fraud', 'legit'] },
    known_at: text('when the label became known, in event time: ISO 8601', { format: 'date-time' }),
  },
};

const LIMIT = (max: number): Schema => text(`how many, 1–${max}; default 100`, { pattern: '^[0-9]+$' });

/** An error response: the shared schema and which codes answer with this status. */
const error = (codes: (keyof typeof ERROR_CODES)[]): Schema => ({
  description: codes.map((c) => `\`${c}\`: ${ERROR_CODES[c].when}`).join('; '),
  ...ref('Error'),
});
const UNAUTHORIZED = error(['unauthorized']);
const OTHER = { description: 'any other error (see the codes table)', ...ref('Error') };

const ID_PARAM: Schema = {
  type: 'object',
  required: ['id'],
  properties: { id: text('the transaction id, as posted (a card number in it is matched as it was stored)') },
};

/** What the console routes say of how they authenticate. */
const SESSION_ONLY = 'Console route: needs the session cookie set by `POST /session` (not the API key).';

const SESSION_OUT: Schema = {
  type: 'object',
  required: ['user', 'role', 'csrf_token', 'expires_at'],
  properties: {
    user: { type: 'string' },
    role: { type: 'string', enum: ['analyst', 'admin'] },
    csrf_token: text('send it in `x-csrf-token` with every state-changing request of this session'),
    expires_at: text('ISO 8601', { format: 'date-time' }),
  },
};

const ALERT_PARAM: Schema = { type: 'object', required: ['id'], properties: { id: text('the alert id') } };
const CASE_PARAM: Schema = { type: 'object', required: ['id'], properties: { id: text('the case id') } };

const DECISION_OUT: Schema = {
  type: 'object',
  required: ['alert_id', 'transaction_id', 'label', 'status', 'next'],
  properties: {
    alert_id: { type: 'integer' },
    transaction_id: { type: 'string' },
    label: { type: 'string', enum: ['fraud', 'legit'] },
    status: { type: 'string', enum: ['recorded', 'unchanged'] },
    next: nullable('integer', 'the alert to open next; null when none awaits'),
  },
};

type Security = Record<string, string[]>[];
/** Security of the routes that need the client key when one is configured. */
const CLIENT: Security = [{ apiKey: [] }, {}];
/** Security of the admin routes: the client key when configured, and the admin key. */
const ADMIN: Security = [{ apiKey: [], adminKey: [] }, { adminKey: [] }];

/** The schema of each route, by `METHOD /path` as Fastify declares it. */
export const ROUTE_SCHEMAS: Readonly<Record<string, FastifySchema & Schema>> = {
  'POST /transactions': {
    operationId: 'submitTransaction',
    tags: ['transactions'],
    summary: 'Score one transaction',
    description:
      'Scores synchronously and stores the decision. Idempotent on `transaction_id`: the same id again answers 200 with ' +
      'the decision made the first time (no second decision, no second alert).',
    security: CLIENT,
    body: TRANSACTION_INPUT,
    response: {
      201: {
        description: 'scored now',
        type: 'object',
        required: ['transaction_id', 'decision'],
        properties: { transaction_id: { type: 'string' }, decision: ref('Decision') },
      },
      200: {
        description: 'decided before: the same decision (or, on AWS in store mode, accepted before)',
        type: 'object',
        required: ['transaction_id', 'duplicate'],
        properties: {
          transaction_id: { type: 'string' },
          decision: ref('Decision'),
          status: { type: 'string', enum: ['accepted'] },
          duplicate: { type: 'boolean', enum: [true] },
        },
      },
      202: {
        description: 'AWS in store mode only: stored, to be scored from the table stream',
        type: 'object',
        required: ['transaction_id', 'status', 'duplicate'],
        properties: {
          transaction_id: { type: 'string' },
          status: { type: 'string', enum: ['accepted'] },
          duplicate: { type: 'boolean' },
        },
      },
      400: error(['invalid_transaction', 'invalid_json']),
      401: UNAUTHORIZED,
      413: error(['payload_too_large']),
      415: error(['unsupported_media_type']),
      default: OTHER,
    },
  },
  'GET /transactions/:id': {
    operationId: 'getTransaction',
    tags: ['transactions'],
    summary: 'A transaction and its decision',
    security: CLIENT,
    params: ID_PARAM,
    response: {
      200: {
        description: 'the masked transaction and its decision',
        type: 'object',
        required: ['transaction', 'decision'],
        properties: { transaction: ref('Transaction'), decision: ref('Decision') },
      },
      401: UNAUTHORIZED,
      404: error(['not_found']),
      default: OTHER,
    },
  },
  'POST /transactions/:id/label': {
    operationId: 'labelTransaction',
    tags: ['transactions'],
    summary: 'Record a known outcome',
    description:
      'Labels a stored transaction as fraud or legit. A label is known from the time of the newest transaction seen ' +
      '(event time), and feeds the model\'s label features from then on. A transaction keeps its first label.',
    security: CLIENT,
    params: ID_PARAM,
    body: {
      type: 'object',
      required: ['label'],
      properties: { label: { type: ['string', 'number', 'boolean'], description: 'fraud or legit (also 1 / 0, true / false)' } },
    },
    response: {
      201: { ...LABEL_OUT, description: 'recorded' },
      200: { ...LABEL_OUT, description: 'the same label was recorded before' },
      400: error(['invalid_label', 'invalid_json']),
      401: UNAUTHORIZED,
      404: error(['not_found']),
      409: {
        description: `\`conflict\`: ${ERROR_CODES.conflict.when}`,
        allOf: [ref('Error'), LABEL_OUT],
      },
      501: error(['not_implemented']),
      default: OTHER,
    },
  },
  'GET /alerts': {
    operationId: 'listAlerts',
    tags: ['alerts'],
    summary: 'Alerts, oldest first, a page at a time',
    security: CLIENT,
    querystring: {
      type: 'object',
      properties: {
        since: text('the `next` of the previous page (an alert id), or an ISO 8601 time; default: from the first alert'),
        limit: LIMIT(1000),
      },
    },
    response: {
      200: {
        description: 'a page of alerts, and the `since` of the next page',
        type: 'object',
        required: ['alerts', 'next'],
        properties: { alerts: { type: 'array', items: ref('Alert') }, next: { type: 'string' } },
      },
      400: error(['bad_request']),
      401: UNAUTHORIZED,
      default: OTHER,
    },
  },
  'GET /stats': {
    operationId: 'getStats',
    tags: ['operations'],
    summary: 'Counters',
    security: CLIENT,
    response: {
      200: {
        description: 'what was received and decided',
        type: 'object',
        required: ['transactions', 'decisions', 'alerts', 'rejected', 'duplicates', 'outcomes', 'files'],
        properties: {
          transactions: { type: 'integer' },
          decisions: { type: 'integer' },
          alerts: { type: 'integer' },
          rejected: { type: 'integer', description: 'rows of files refused with a reason' },
          duplicates: { type: 'integer' },
          outcomes: {
            type: 'object',
            required: ['allow', 'review', 'block'],
            properties: { allow: { type: 'integer' }, review: { type: 'integer' }, block: { type: 'integer' } },
          },
          files: {
            type: 'object',
            required: ['processed', 'failed', 'processing'],
            properties: { processed: { type: 'integer' }, failed: { type: 'integer' }, processing: { type: 'integer' } },
          },
        },
      },
      401: UNAUTHORIZED,
      default: OTHER,
    },
  },
  'GET /stats/shadow': {
    operationId: 'getShadowStats',
    tags: ['operations'],
    summary: 'The shadow challenger against the decisions in force',
    description:
      'A challenger (`fraudmini start --shadow-rules FILE` and/or `--shadow-model FILE`) decides every transaction beside the ' +
      'decision in force without acting. Compared here on the rows both decided: agreement, the confusion of outcomes ' +
      '(`confusion[in force][challenger]`), what each flagged, and precision and recall on the labels known now. ' +
      '`challenger` is null and every count 0 before a challenger has decided anything. Promote it with `PUT /shadow/promote` ' +
      'or `fraudmini promote`. On AWS the batch scorers run the challenger the CDK context configures (`-c shadowModel=true`, ' +
      '`-c shadowRules=true`) and the api function answers this route from its stored decisions.',
    security: CLIENT,
    response: {
      200: {
        description: 'the comparison of the latest challenger',
        type: 'object',
        required: ['challenger', 'rows', 'agreed', 'agreement', 'confusion', 'flagged', 'labelled', 'frauds', 'in_force', 'shadow'],
        properties: {
          challenger: {
            type: 'object',
            nullable: true,
            required: ['rules_version', 'model_version'],
            properties: { rules_version: { type: 'string' }, model_version: { type: 'string', nullable: true } },
          },
          rows: { type: 'integer', description: 'rows decided by both' },
          agreed: { type: 'integer', description: 'rows with the same outcome' },
          agreement: { type: 'number', nullable: true },
          confusion: {
            type: 'object',
            description: 'rows by outcome in force (key), then by the challenger\'s outcome',
            required: ['allow', 'review', 'block'],
            properties: { allow: { type: 'object', required: ['allow', 'review', 'block'], properties: { allow: { type: 'integer' }, review: { type: 'integer' }, block: { type: 'integer' } } }, review: { type: 'object', required: ['allow', 'review', 'block'], properties: { allow: { type: 'integer' }, review: { type: 'integer' }, block: { type: 'integer' } } }, block: { type: 'object', required: ['allow', 'review', 'block'], properties: { allow: { type: 'integer' }, review: { type: 'integer' }, block: { type: 'integer' } } } },
          },
          flagged: {
            type: 'object',
            required: ['both', 'in_force_only', 'challenger_only'],
            properties: { both: { type: 'integer' }, in_force_only: { type: 'integer' }, challenger_only: { type: 'integer' } },
          },
          labelled: { type: 'integer', description: 'rows whose label is known now' },
          frauds: { type: 'integer' },
          in_force: {
      type: 'object',
      required: ['flagged', 'blocked', 'flagged_labelled', 'fraud_flagged', 'precision', 'recall'],
      properties: {
        flagged: { type: 'integer', description: 'rows reviewed or blocked' },
        blocked: { type: 'integer' },
        flagged_labelled: { type: 'integer', description: 'flagged rows whose label is known' },
        fraud_flagged: { type: 'integer' },
        precision: { type: 'number', nullable: true, description: 'fraud_flagged ÷ flagged_labelled; null when none' },
        recall: { type: 'number', nullable: true, description: 'fraud_flagged ÷ frauds; null before any fraud is labelled' },
      },
    },
          shadow: {
      type: 'object',
      required: ['flagged', 'blocked', 'flagged_labelled', 'fraud_flagged', 'precision', 'recall'],
      properties: {
        flagged: { type: 'integer', description: 'rows reviewed or blocked' },
        blocked: { type: 'integer' },
        flagged_labelled: { type: 'integer', description: 'flagged rows whose label is known' },
        fraud_flagged: { type: 'integer' },
        precision: { type: 'number', nullable: true, description: 'fraud_flagged ÷ flagged_labelled; null when none' },
        recall: { type: 'number', nullable: true, description: 'fraud_flagged ÷ frauds; null before any fraud is labelled' },
      },
    },
        },
      },
      401: UNAUTHORIZED,
      default: OTHER,
    },
  },
  'PUT /shadow/promote': {
    operationId: 'promoteShadow',
    tags: ['operations'],
    summary: 'Promote the shadow challenger (admin)',
    description:
      'Makes the challenger last started in shadow the one in force, as `fraudmini promote` does: its rules replace the rules ' +
      'in force (validated, recorded in the audit log under the caller, in force for the next decision); its model is copied ' +
      'to the data dir\'s `model.json`, which the next start loads (a model switches on a restart). The exact files that ran ' +
      'in shadow are installed. Admin only, like `PUT /rules`: the admin key, or an admin\'s console session with its ' +
      '`x-csrf-token`. No body.',
    security: ADMIN,
    response: {
      200: {
        description: 'promoted: what is in force now, and what from the next start',
        type: 'object',
        required: ['started_at', 'rules', 'model'],
        properties: {
          started_at: { type: 'string', format: 'date-time', description: 'when the challenger was started' },
          rules: {
            type: 'object',
            nullable: true,
            description: 'the rules now in force; null when the challenger brought none',
            required: ['version'],
            properties: { version: { type: 'string' } },
          },
          model: {
            type: 'object',
            nullable: true,
            description: 'the model the next start loads; null when the challenger brought none',
            required: ['version', 'from'],
            properties: { version: { type: 'string' }, from: { type: 'string', enum: ['next start'] } },
          },
        },
      },
      400: error(['invalid_rules']),
      401: error(['unauthorized', 'admin_unauthorized']),
      403: error(['admin_forbidden', 'admin_disabled', 'forbidden', 'csrf_failed']),
      404: error(['not_found']),
      500: error(['rules_not_saved']),
      default: OTHER,
    },
  },
  'GET /rules': {
    operationId: 'getRules',
    tags: ['rules'],
    summary: 'The rule set in force',
    security: CLIENT,
    response: {
      200: {
        description: 'its version and document',
        type: 'object',
        required: ['version', 'document'],
        properties: { version: { type: 'string' }, document: ref('RulesDocument') },
      },
      401: UNAUTHORIZED,
      default: OTHER,
    },
  },
  'PUT /rules': {
    operationId: 'replaceRules',
    tags: ['rules'],
    summary: 'Replace the rule set (admin)',
    description:
      'Validates the document (refusing it whole, with every problem, when invalid), records the change in the audit log ' +
      'and puts it in force. Up to 1 MiB. Locally it needs the admin key in `x-admin-key`; on AWS an IAM-signed request. ' +
      'Without an admin credential configured it answers 403 `admin_disabled` whoever asks.',
    security: ADMIN,
    body: ref('RulesDocument'),
    response: {
      200: {
        description: 'in force',
        type: 'object',
        required: ['version'],
        properties: { version: { type: 'string' } },
      },
      400: error(['invalid_rules', 'invalid_json']),
      401: error(['unauthorized', 'admin_unauthorized']),
      403: error(['admin_forbidden', 'admin_disabled']),
      413: error(['payload_too_large']),
      500: error(['rules_not_saved']),
      default: OTHER,
    },
  },
  'GET /rules/audit': {
    operationId: 'listRuleChanges',
    tags: ['rules'],
    summary: 'The audit log of rule changes (admin)',
    description: 'Newest first: when, which credential (never the key itself), from where, the versions before and after.',
    security: ADMIN,
    querystring: { type: 'object', properties: { limit: LIMIT(1000) } },
    response: {
      200: {
        description: 'the newest changes',
        type: 'object',
        required: ['changes'],
        properties: {
          changes: {
            type: 'array',
            items: {
              type: 'object',
              required: ['at', 'credential', 'remote', 'previous_version', 'version', 'digest'],
              properties: {
                at: text('ISO 8601', { format: 'date-time' }),
                credential: text('`admin-key sha256:<8 hex digits>`, `iam <ARN>` or `rules file`'),
                remote: nullable('string', 'the client\'s address; null for an edit of the rules file'),
                previous_version: nullable('string', 'null for the first entry'),
                version: { type: 'string' },
                digest: text('SHA-256 (hex) of the new document'),
              },
            },
          },
        },
      },
      400: error(['bad_request']),
      401: error(['unauthorized', 'admin_unauthorized']),
      403: error(['admin_forbidden', 'admin_disabled']),
      default: OTHER,
    },
  },
  'GET /': {
    operationId: 'consolePage',
    tags: ['console'],
    summary: 'The analyst console (HTML)',
    description: 'The console\'s page (`text/html`). It signs in with `POST /session` and works over the console and API routes.',
    security: [],
    response: {
      200: text('the page, as `text/html`'),
      default: OTHER,
    },
  },
  'GET /console/:file': {
    operationId: 'consoleAsset',
    tags: ['console'],
    summary: 'A file of the console (script, style sheet)',
    security: [],
    params: { type: 'object', required: ['file'], properties: { file: text('`console.js`, `console.css` or `index.html`') } },
    response: {
      200: text('the file, as `text/javascript`, `text/css` or `text/html`'),
      404: error(['not_found']),
      default: OTHER,
    },
  },
  'POST /session': {
    operationId: 'signIn',
    tags: ['console'],
    summary: 'Sign in to the console',
    description:
      'Checks a user added with `fraudmini users add` and sets the session cookie (`HttpOnly; SameSite=Strict`). The answer ' +
      'holds the session\'s `csrf_token`: every state-changing request of the session sends it in `x-csrf-token`.',
    security: [],
    body: {
      type: 'object',
      required: ['username', 'password'],
      properties: { username: { type: 'string' }, password: { type: 'string' } },
    },
    response: {
      200: { ...SESSION_OUT, description: 'signed in: the session cookie is set' },
      400: error(['bad_request', 'invalid_json']),
      401: error(['invalid_credentials']),
      429: error(['too_many_attempts']),
      default: OTHER,
    },
  },
  'GET /session': {
    operationId: 'whoAmI',
    tags: ['console'],
    summary: 'The signed-in user and the session\'s anti-CSRF token',
    description: SESSION_ONLY,
    security: [],
    response: {
      200: { ...SESSION_OUT, description: 'the session of the cookie' },
      401: error(['session_required']),
      default: OTHER,
    },
  },
  'DELETE /session': {
    operationId: 'signOut',
    tags: ['console'],
    summary: 'Sign out',
    description: `${SESSION_ONLY} Needs \`x-csrf-token\`.`,
    security: [],
    response: {
      200: { type: 'object', description: 'signed out: the session is ended and its cookie removed', required: ['signed_out'], properties: { signed_out: { type: 'boolean' } } },
      401: error(['session_required']),
      403: error(['csrf_failed']),
      default: OTHER,
    },
  },
  'GET /queue': {
    operationId: 'reviewQueue',
    tags: ['console'],
    summary: 'Alerts awaiting a decision, a page at a time',
    description: `${SESSION_ONLY} An alert awaits a decision while its transaction has no label.`,
    security: [],
    querystring: {
      type: 'object',
      properties: {
        order: { type: 'string', enum: ['newest', 'riskiest'], description: 'default newest' },
        outcome: { type: 'string', enum: ['review', 'block'] },
        rule: text('only alerts on which this rule fired'),
        min_score: text('lowest score, 0–100'),
        max_score: text('highest score, 0–100'),
        account: text('only this account'),
        after: text('the `next` of the previous page'),
        limit: text('how many, 1–200; default 50', { pattern: '^[0-9]+$' }),
      },
    },
    response: {
      200: page('alerts', 'Alert', 'a page of open alerts, and the `after` of the next page (null on the last)'),
      400: error(['bad_request']),
      401: error(['session_required']),
      default: OTHER,
    },
  },
  'GET /queue/:id': {
    operationId: 'openAlert',
    tags: ['console'],
    summary: 'An alert with what it takes to decide it',
    description: `${SESSION_ONLY} The masked transaction, its decision (every rule that fired with its sentence, the model's top features), the account's latest transactions and the other open alerts of the same account or card.`,
    security: [],
    params: ALERT_PARAM,
    response: {
      200: {
        description: 'the alert',
        type: 'object',
        required: ['alert', 'transaction', 'decision', 'label', 'history', 'related', 'audit'],
        properties: {
          alert: ref('Alert'),
          transaction: ref('Transaction'),
          decision: ref('Decision'),
          label: { type: ['string', 'null'], enum: ['fraud', 'legit', null], description: 'null while it awaits a decision' },
          history: {
            type: 'array',
            description: 'the account\'s latest transactions, newest first',
            items: {
              type: 'object',
              required: ['transaction_id', 'timestamp', 'amount', 'currency', 'outcome', 'score'],
              properties: {
                transaction_id: { type: 'string' },
                timestamp: text('ISO 8601', { format: 'date-time' }),
                amount: { type: 'number' },
                currency: { type: 'string' },
                merchant: { type: 'string' },
                card: text('the masked card number'),
                outcome: { type: 'string', enum: ['allow', 'review', 'block'] },
                score: { type: 'number' },
                label: { type: 'string', enum: ['fraud', 'legit'] },
              },
            },
          },
          related: { type: 'array', items: ref('Alert'), description: 'other open alerts of the account or the card, newest first' },
          assignee: nullable('string', 'the user the alert is assigned to; null while nobody is (or without cases)'),
          case_id: nullable('integer', 'the case holding the alert; null while none does'),
          assignments: { type: 'array', items: ref('CaseEvent'), description: 'the alert\'s assignments, oldest first' },
          audit: {
            type: 'array',
            description: 'what analysts did to this alert, oldest first',
            items: {
              type: 'object',
              required: ['at', 'user', 'action', 'label', 'result'],
              properties: {
                at: text('ISO 8601', { format: 'date-time' }),
                user: { type: 'string' },
                action: { type: 'string', enum: ['label'] },
                label: { type: 'string', enum: ['fraud', 'legit'] },
                result: { type: 'string', enum: ['recorded', 'unchanged', 'conflict'], description: 'what the label path answered' },
                note: { type: 'string' },
              },
            },
          },
        },
      },
      400: error(['bad_request']),
      401: error(['session_required']),
      404: error(['not_found']),
      default: OTHER,
    },
  },
  'POST /queue/:id/decision': {
    operationId: 'decideAlert',
    tags: ['console'],
    summary: 'Mark an alert fraud or legit',
    description:
      `${SESSION_ONLY} Needs \`x-csrf-token\`. Records the label of the alert's transaction as \`POST /transactions/:id/label\` ` +
      'does, and an audit entry with the user, the decision, the note and the time. `next` is the alert to open next.',
    security: [],
    params: ALERT_PARAM,
    body: {
      type: 'object',
      required: ['label'],
      properties: { label: { type: 'string', enum: ['fraud', 'legit'] }, note: text('up to 2,000 characters') },
    },
    response: {
      201: { ...DECISION_OUT, description: 'recorded' },
      200: { ...DECISION_OUT, description: 'the same label was recorded before' },
      400: error(['invalid_label', 'invalid_json', 'bad_request']),
      401: error(['session_required']),
      403: error(['csrf_failed']),
      404: error(['not_found']),
      409: { description: `\`conflict\`: ${ERROR_CODES.conflict.when}`, ...ref('Error') },
      default: OTHER,
    },
  },
  'POST /queue/:id/assign': {
    operationId: 'assignAlert',
    tags: ['console'],
    summary: 'Assign an alert',
    description:
      `${SESSION_ONLY} Needs \`x-csrf-token\`. Without a body (or without \`user\`) assigns the alert to the signed-in user; ` +
      '`{"user": null}` to nobody. An analyst may assign only to themselves, and not take over an alert assigned to someone ' +
      'else; an admin may assign to any user. Audited.',
    security: [],
    params: ALERT_PARAM,
    body: { type: 'object', properties: { user: nullable('string', 'a console user; null for nobody') } },
    response: {
      200: {
        description: 'assigned',
        type: 'object',
        required: ['alert_id', 'assignee'],
        properties: { alert_id: { type: 'integer' }, assignee: nullable('string', 'null: nobody') },
      },
      400: error(['bad_request', 'invalid_json']),
      401: error(['session_required']),
      403: error(['csrf_failed', 'forbidden']),
      404: error(['not_found']),
      default: OTHER,
    },
  },
  'GET /cases': {
    operationId: 'listCases',
    tags: ['console'],
    summary: 'Cases, newest first, a page at a time',
    description: `${SESSION_ONLY}`,
    security: [],
    querystring: {
      type: 'object',
      properties: {
        status: { type: 'string', enum: ['active', ...CASE_STATUSES], description: '`active`: open or investigating; default every case' },
        account: text('only the cases of this account'),
        card: text('only the cases of this card (its masked form)'),
        after: text('the `next` of the previous page'),
        limit: text('how many, 1–200; default 50', { pattern: '^[0-9]+$' }),
      },
    },
    response: {
      200: page('cases', 'Case', 'a page of cases, and the `after` of the next page (null on the last)'),
      400: error(['bad_request']),
      401: error(['session_required']),
      default: OTHER,
    },
  },
  'POST /cases': {
    operationId: 'openCase',
    tags: ['console'],
    summary: 'Open a case from an alert',
    description:
      `${SESSION_ONLY} Needs \`x-csrf-token\`. Opens a case for the alert's account (or, with \`by: card\`, its card) holding ` +
      'the alert, assigned to the signed-in user. An alert belongs to one case at most. Audited.',
    security: [],
    body: {
      type: 'object',
      required: ['alert_id'],
      properties: { alert_id: { type: 'integer' }, by: { type: 'string', enum: ['account', 'card'], description: 'default account' } },
    },
    response: {
      201: { description: 'opened', ...ref('Case') },
      400: error(['bad_request', 'invalid_json']),
      401: error(['session_required']),
      403: error(['csrf_failed']),
      404: error(['not_found']),
      409: { description: '`conflict`: the alert is in a case already (`case_id` names it)', ...ref('Error') },
      default: OTHER,
    },
  },
  'GET /cases/:id': {
    operationId: 'openCaseDetail',
    tags: ['console'],
    summary: 'A case with its alerts and audit trail',
    description: `${SESSION_ONLY}`,
    security: [],
    params: CASE_PARAM,
    response: {
      200: {
        description: 'the case',
        type: 'object',
        required: ['case', 'alerts', 'audit'],
        properties: {
          case: ref('Case'),
          alerts: {
            type: 'array',
            description: 'its alerts, by id, each with the label in force of its transaction',
            items: {
              allOf: [
                ref('Alert'),
                { type: 'object', required: ['label'], properties: { label: { type: ['string', 'null'], enum: ['fraud', 'legit', null] } } },
              ],
            },
          },
          audit: { type: 'array', items: ref('CaseEvent'), description: 'every change, oldest first' },
        },
      },
      400: error(['bad_request']),
      401: error(['session_required']),
      404: error(['not_found']),
      default: OTHER,
    },
  },
  'POST /cases/:id/alerts': {
    operationId: 'addAlertToCase',
    tags: ['console'],
    summary: 'Add an alert to a case',
    description: `${SESSION_ONLY} Needs \`x-csrf-token\`. The alert must be of the case's account or card, and in no other case; the case must be active. Audited.`,
    security: [],
    params: CASE_PARAM,
    body: { type: 'object', required: ['alert_id'], properties: { alert_id: { type: 'integer' } } },
    response: {
      200: { description: 'the case, with the alert', ...ref('Case') },
      400: error(['bad_request', 'invalid_json']),
      401: error(['session_required']),
      403: error(['csrf_failed']),
      404: error(['not_found']),
      409: { description: '`conflict`: the case is closed, or the alert is in another case', ...ref('Error') },
      default: OTHER,
    },
  },
  'POST /cases/:id/notes': {
    operationId: 'noteCase',
    tags: ['console'],
    summary: 'Add a note to a case',
    description: `${SESSION_ONLY} Needs \`x-csrf-token\`. Notes join the audit trail, closed case or not.`,
    security: [],
    params: CASE_PARAM,
    body: { type: 'object', required: ['note'], properties: { note: text('1–2,000 characters') } },
    response: {
      201: { description: 'the audit entry of the note', ...ref('CaseEvent') },
      400: error(['bad_request', 'invalid_json']),
      401: error(['session_required']),
      403: error(['csrf_failed']),
      404: error(['not_found']),
      default: OTHER,
    },
  },
  'POST /cases/:id/status': {
    operationId: 'setCaseStatus',
    tags: ['console'],
    summary: 'Change the status of a case; closing labels its alerts',
    description:
      `${SESSION_ONLY} Needs \`x-csrf-token\`. Only the case's assignee or an admin. Closing as fraud or legit records that ` +
      'label for the transaction of every alert of the case, as `POST /transactions/:id/label` does (`labels` says what each ' +
      'got: a transaction labelled otherwise before keeps its label, `conflict`). A closed case cannot change again. Audited.',
    security: [],
    params: CASE_PARAM,
    body: { type: 'object', required: ['status'], properties: { status: { type: 'string', enum: [...CASE_STATUSES] } } },
    response: {
      200: {
        description: 'the case with its new status, and the labels closing recorded',
        type: 'object',
        required: ['case', 'labels'],
        properties: {
          case: ref('Case'),
          labels: {
            type: 'array',
            items: {
              type: 'object',
              required: ['alert_id', 'transaction_id', 'status'],
              properties: {
                alert_id: { type: 'integer' },
                transaction_id: { type: 'string' },
                status: { type: 'string', enum: ['recorded', 'unchanged', 'conflict', 'not_found'] },
              },
            },
          },
        },
      },
      400: error(['bad_request', 'invalid_json']),
      401: error(['session_required']),
      403: error(['csrf_failed', 'forbidden']),
      404: error(['not_found']),
      409: { description: '`conflict`: the case is closed', ...ref('Error') },
      default: OTHER,
    },
  },
  'POST /cases/:id/assign': {
    operationId: 'assignCase',
    tags: ['console'],
    summary: 'Assign a case',
    description:
      `${SESSION_ONLY} Needs \`x-csrf-token\`. As for an alert: to the signed-in user by default, \`{"user": null}\` to nobody; ` +
      'an analyst only to themselves and not over someone else, an admin to any user. Audited.',
    security: [],
    params: CASE_PARAM,
    body: { type: 'object', properties: { user: nullable('string', 'a console user; null for nobody') } },
    response: {
      200: { description: 'assigned', ...ref('Case') },
      400: error(['bad_request', 'invalid_json']),
      401: error(['session_required']),
      403: error(['csrf_failed', 'forbidden']),
      404: error(['not_found']),
      409: { description: '`conflict`: the case is closed', ...ref('Error') },
      default: OTHER,
    },
  },
  'GET /events': {
    operationId: 'consoleEvents',
    tags: ['console'],
    summary: 'New alerts and live figures, as Server-Sent Events',
    description:
      `${SESSION_ONLY} A \`text/event-stream\`: \`ready\` once; \`alerts\` with \`{count, latest_id}\` whenever alerts are stored; ` +
      '`stats` with the counters of `GET /stats` and the rates of the last minute (`decisions_per_minute`, `alerts_per_minute`, ' +
      '`alert_rate`) and, locally, `charts`: `score_histogram` (decisions per score bucket of 10 points among the newest ' +
      '10,000), `precision` (the labelled alerts among the newest 10,000 in up to 12 stretches of event time, each with ' +
      '`labelled`, `fraud` and `precision`) and `files_in_progress` (each with its rows and counts so far), when any of them ' +
      'changes, and every few seconds.',
    security: [],
    response: {
      200: text('the event stream, as `text/event-stream`'),
      401: error(['session_required']),
      default: OTHER,
    },
  },
  'GET /rules/versions': {
    operationId: 'listRuleVersions',
    tags: ['console'],
    summary: 'The history of rule sets (workbench)',
    description: `${SESSION_ONLY} Every rules document that has been in force or published, newest first, the one in force marked \`active\`.`,
    security: [],
    querystring: { type: 'object', properties: { limit: LIMIT(1000) } },
    response: {
      200: {
        description: 'the newest versions',
        type: 'object',
        required: ['versions'],
        properties: {
          versions: {
            type: 'array',
            items: {
              type: 'object',
              required: ['id', 'version', 'digest', 'saved_at', 'active'],
              properties: {
                id: { type: 'integer' },
                version: { type: 'string' },
                digest: text('SHA-256 (hex) of the document\'s JSON'),
                saved_at: text('ISO 8601: when it was first in force or published', { format: 'date-time' }),
                active: { type: 'boolean' },
              },
            },
          },
        },
      },
      400: error(['bad_request']),
      401: error(['session_required']),
      default: OTHER,
    },
  },
  'GET /rules/versions/:id': {
    operationId: 'getRuleVersion',
    tags: ['console'],
    summary: 'One rule set of the history, whole',
    description: SESSION_ONLY,
    security: [],
    params: { type: 'object', required: ['id'], properties: { id: text('the id from `GET /rules/versions`') } },
    response: {
      200: {
        description: 'the version and its document',
        type: 'object',
        required: ['id', 'version', 'digest', 'saved_at', 'document'],
        properties: {
          id: { type: 'integer' },
          version: { type: 'string' },
          digest: { type: 'string' },
          saved_at: { type: 'string', format: 'date-time' },
          document: { type: 'object', additionalProperties: true },
        },
      },
      400: error(['bad_request']),
      401: error(['session_required']),
      404: error(['not_found']),
      default: OTHER,
    },
  },
  'POST /rules/versions': {
    operationId: 'publishRules',
    tags: ['console'],
    summary: 'Publish a draft rule set (admin)',
    description:
      `${SESSION_ONLY} Needs \`x-csrf-token\` and the admin role. Validates the document, records the change in the rules ` +
      'audit log under the user\'s name, puts it in force and keeps it in the history.',
    security: [],
    body: { type: 'object', required: ['document'], properties: { document: { type: 'object', additionalProperties: true } } },
    response: {
      201: { description: 'in force', type: 'object', required: ['id', 'version'], properties: { id: { type: 'integer' }, version: { type: 'string' } } },
      400: error(['invalid_rules', 'invalid_json', 'bad_request']),
      401: error(['session_required']),
      403: error(['csrf_failed', 'forbidden']),
      413: error(['payload_too_large']),
      default: OTHER,
    },
  },
  'POST /rules/versions/:id/activate': {
    operationId: 'rollBackRules',
    tags: ['console'],
    summary: 'Put an earlier rule set back in force (admin)',
    description:
      `${SESSION_ONLY} Needs \`x-csrf-token\` and the admin role. The change is recorded in the rules audit log under the user's name.`,
    security: [],
    params: { type: 'object', required: ['id'], properties: { id: text('the id from `GET /rules/versions`') } },
    response: {
      200: { description: 'in force', type: 'object', required: ['id', 'version'], properties: { id: { type: 'integer' }, version: { type: 'string' } } },
      400: error(['bad_request', 'invalid_rules']),
      401: error(['session_required']),
      403: error(['csrf_failed', 'forbidden']),
      404: error(['not_found']),
      default: OTHER,
    },
  },
  'POST /rules/check': {
    operationId: 'checkRules',
    tags: ['console'],
    summary: 'Check a draft rule set without changing anything',
    description:
      `${SESSION_ONLY} Needs \`x-csrf-token\`. The same validation as publishing: \`ok\` with the version, or every problem ` +
      'with its path and, for an expression, the rule, line and column.',
    security: [],
    body: { type: 'object', required: ['document'], properties: { document: { type: 'object', additionalProperties: true } } },
    response: {
      200: {
        description: 'the outcome of the check',
        type: 'object',
        required: ['ok'],
        properties: {
          ok: { type: 'boolean' },
          version: { type: 'string' },
          errors: {
            type: 'array',
            items: {
              type: 'object',
              required: ['path', 'reason'],
              properties: {
                path: { type: 'string' },
                reason: { type: 'string' },
                rule: { type: 'string' },
                line: { type: 'integer' },
                column: { type: 'integer' },
              },
            },
          },
        },
      },
      400: error(['invalid_json', 'bad_request']),
      401: error(['session_required']),
      403: error(['csrf_failed']),
      413: error(['payload_too_large']),
      default: OTHER,
    },
  },
  'POST /rules/backtest': {
    operationId: 'backtestRules',
    tags: ['console'],
    summary: 'Backtest a draft rule set against the stored, labelled history',
    description:
      `${SESSION_ONLY} Needs \`x-csrf-token\`. Replays the newest stored transactions in the order they were stored and counts, ` +
      'for the rule set in force (`current`) and the draft, hits, precision, recall and money caught, flagged and per rule. Only ' +
      'labelled transactions (the label they arrived with or one reported since) are counted.',
    security: [],
    body: { type: 'object', required: ['document'], properties: { document: { type: 'object', additionalProperties: true } } },
    response: {
      200: {
        description: 'the draft against the rule set in force',
        type: 'object',
        required: ['transactions', 'labelled', 'frauds', 'fraud_money', 'current', 'draft'],
        properties: {
          transactions: { type: 'integer' },
          labelled: { type: 'integer' },
          frauds: { type: 'integer' },
          fraud_money: { type: 'number' },
          current: { type: 'object', additionalProperties: true },
          draft: { type: 'object', additionalProperties: true },
        },
      },
      400: error(['invalid_rules', 'invalid_json', 'bad_request']),
      401: error(['session_required']),
      403: error(['csrf_failed']),
      413: error(['payload_too_large']),
      default: OTHER,
    },
  },
  'GET /healthz': {
    operationId: 'health',
    tags: ['operations'],
    summary: 'Liveness and the rules version in force',
    description: 'Needs no key.',
    security: [],
    response: {
      200: {
        description: 'up',
        type: 'object',
        required: ['status', 'rules_version', 'uptime_s'],
        properties: { status: { type: 'string', enum: ['ok'] }, rules_version: { type: 'string' }, uptime_s: { type: 'integer' } },
      },
      default: OTHER,
    },
  },
  'GET /openapi.json': {
    operationId: 'openapi',
    tags: ['operations'],
    summary: 'This document',
    security: CLIENT,
    response: {
      200: { description: 'the OpenAPI document of the API', type: 'object', additionalProperties: true },
      401: UNAUTHORIZED,
      default: OTHER,
    },
  },
};

/** The schema of a route; throws for one that has none, so a new route cannot go undocumented. */
export function routeSchema(method: string, url: string): FastifySchema {
  const schema = ROUTE_SCHEMAS[`${method} ${url}`];
  if (!schema) throw new Error(`no schema for ${method} ${url} in src/server/openapi.ts`);
  return schema;
}

/** OpenAPI's form of a Fastify path: `/transactions/:id` → `/transactions/{id}`. */
export function openApiPath(url: string): string {
  return url.replace(/:(\w+)/g, '{$1}');
}

/**
 * The options of `@fastify/swagger`: the document's header, the security schemes, components
 * named after the shared schemas' `$id`, and the examples of {@link API_EXAMPLES} placed under
 * their operation, request body and response status.
 */
export function swaggerOptions(): SwaggerOptions {
  return {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'fraudmini',
        version: '1',
        description:
          'Scores card and account transactions against rules and a model, and serves their decisions and alerts. The same ' +
          'routes are served by `fraudmini start` and, on AWS, by API Gateway and the `api` function. Errors answer ' +
          '`{error, message, errors?}` with a stable code in `error`: see docs/api.md for the table.',
      },
      tags: [
        { name: 'transactions', description: 'scoring and labels' },
        { name: 'console', description: 'the analyst console: sign-in, review queue, cases, events (session cookie)' },
        { name: 'alerts', description: 'the alerts raised for review and block decisions' },
        { name: 'rules', description: 'the rule set in force and its changes' },
        { name: 'operations', description: 'counters, health and this document' },
      ],
      components: {
        securitySchemes: {
          apiKey: {
            type: 'apiKey',
            in: 'header',
            name: 'x-api-key',
            description:
              'Needed on every route but GET /healthz when the server has a key (`--api-key` / FRAUDMINI_API_KEY, required to ' +
              'bind beyond loopback); on AWS, the usage plan\'s key.',
          },
          adminKey: {
            type: 'apiKey',
            in: 'header',
            name: 'x-admin-key',
            description:
              'The admin routes (PUT /rules, GET /rules/audit) locally: `--admin-key` / FRAUDMINI_ADMIN_KEY. On AWS these ' +
              'routes need an IAM-signed (SigV4) request instead.',
          },
        },
      },
    },
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    transformObject: (documentObject) => {
      const doc = 'openapiObject' in documentObject ? documentObject.openapiObject : documentObject.swaggerObject;
      addExamples(doc as OpenApiShape, API_EXAMPLES);
      return doc;
    },
  };
}

/** The parts of the document the examples go into. */
interface OpenApiShape {
  paths?: Record<
    string,
    Record<
      string,
      {
        requestBody?: { content?: Record<string, { examples?: Record<string, unknown> }> };
        responses?: Record<string, { content?: Record<string, { examples?: Record<string, unknown> }> }>;
      }
    >
  >;
}

function addExamples(doc: OpenApiShape, examples: readonly ApiExample[]): void {
  for (const e of examples) {
    const op = doc.paths?.[openApiPath(e.route)]?.[e.method.toLowerCase()];
    if (!op) throw new Error(`example ${e.name}: no operation ${e.method} ${e.route} in the document`);
    const response = op.responses?.[String(e.status)] ?? op.responses?.default;
    const media = response?.content?.['application/json'];
    if (!media) throw new Error(`example ${e.name}: ${e.method} ${e.route} documents no ${e.status} response`);
    (media.examples ??= {})[e.name] = { summary: e.summary, value: e.response };
    const body = e.request.body;
    if (body !== undefined && typeof body !== 'string') {
      const requestMedia = op.requestBody?.content?.['application/json'];
      if (!requestMedia) throw new Error(`example ${e.name}: ${e.method} ${e.route} documents no request body`);
      (requestMedia.examples ??= {})[e.name] = { summary: e.summary, value: body };
    }
  }
}
