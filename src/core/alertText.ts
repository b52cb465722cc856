import { maskPansInText } from './pan.js';
import type { Alert } from './views.js';

/** An alert as an email: what SNS sends to email subscribers. */
export interface AlertEmail {
  /** ≤ 100 printable ASCII characters, one line (SNS's rules for `Subject`). */
  subject: string;
  /** Plain text. */
  body: string;
}

/** SNS rejects a longer `Subject`. */
export const MAX_SUBJECT_LENGTH = 100;

/**
 * Formats an alert for email: a subject that says what and how bad at a glance
 * (`fraudmini BLOCK: tx-123 score 97 (4,250.00 USD)`) and a plain-text body with the
 * transaction id, outcome, score, amount, account, masked card, time and every reason with its
 * detail. Pure. Anything shaped like a card number is masked, in case a PAN reached a reason
 * detail or an id: alerts must never carry one.
 *
 * @example
 * ```ts
 * const { subject, body } = formatAlertEmail(alert);
 * await sns.send(new PublishCommand({ TopicArn, Subject: subject, Message: body }));
 * ```
 */
export function formatAlertEmail(alert: Alert): AlertEmail {
  // Masked field by field as well as over the whole body: an encoding such as the URL below
  // could join a PAN to neighbouring digits where the whole-text pass no longer sees it.
  const id = maskPansInText(alert.transaction_id);
  const amount = `${formatAmount(alert.amount, alert.currency)} ${alert.currency}`;
  const head = `fraudmini ${alert.outcome.toUpperCase()}: `;
  const tail = ` score ${Math.round(alert.score)} (${amount})`;
  // The id gives way first when the subject is too long; the rest is bounded and short.
  const room = Math.max(8, MAX_SUBJECT_LENGTH - head.length - tail.length);
  const subject = asciiLine(`${head}${ellipsis(asciiLine(id), room)}${tail}`).slice(
    0,
    MAX_SUBJECT_LENGTH,
  );

  const lines = [
    `fraudmini flagged a transaction: ${alert.outcome.toUpperCase()}.`,
    '',
    `Transaction:  ${id}`,
    `Outcome:      ${alert.outcome}`,
    `Score:        ${alert.score.toFixed(1)} / 100`,
    `Amount:       ${amount}`,
    `Account:      ${maskPansInText(alert.account_id)}`,
    `Card:         ${alert.card ?? '(none)'}`,
    `Time:         ${alert.timestamp}`,
    `Alert:        #${alert.id}, raised ${alert.created_at}`,
    '',
    alert.reasons.length > 0 ? 'Reasons:' : 'Reasons: none recorded (the model score alone decided).',
    ...alert.reasons.map((r) => `  - ${r.rule} (weight ${r.weight}${r.action ? `, ${r.action}` : ''}): ${oneLine(maskPansInText(r.detail))}`),
    '',
    `Details: GET /transactions/${encodeURIComponent(id)}`,
    '',
  ];
  return { subject, body: maskPansInText(lines.join('\n')) };
}

/**
 * `1234.5` → `1,234.50` with the currency's minor digits (2 when the code is unknown to `Intl`).
 */
export function formatAmount(amount: number, currency: string): string {
  let digits = 2;
  try {
    digits = new Intl.NumberFormat('en-US', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    // Not an ISO 4217 code Intl knows: two decimals is the common case.
  }
  return new Intl.NumberFormat('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(amount);
}

/** One line of printable ASCII: anything else becomes `?`, runs of whitespace one space. */
function asciiLine(text: string): string {
  return text.replace(/\s+/g, ' ').replace(/[^\x20-\x7e]/g, '?').trim();
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ');
}

function ellipsis(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`;
}
