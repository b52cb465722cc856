/**
 * Reading Kinesis records as the `stream` handler receives them: `KinesisStreamEvent` record
 * data is base64 of the bytes a producer put, here UTF-8 JSON (see `KinesisTransactionProducer`).
 * Pure: no SDK, so the handler bundle stays small.
 */

/** Strict base64 (standard alphabet, optional padding): `Buffer.from` would skip bad characters. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;

/** A Kinesis record whose data is not base64 of UTF-8 JSON. */
export class KinesisRecordError extends Error {
  override readonly name = 'KinesisRecordError';
}

/**
 * Decodes one record's `data` (base64) and parses it as JSON. Throws {@link KinesisRecordError}
 * saying which step failed; the message never quotes the record's content (it may hold a PAN).
 *
 * @example
 * ```ts
 * for (const r of event.Records) handle(decodeKinesisRecord(r.kinesis.data));
 * ```
 */
export function decodeKinesisRecord(data: string): unknown {
  if (data.length === 0) throw new KinesisRecordError('Kinesis record is empty');
  if (!BASE64.test(data)) throw new KinesisRecordError(`Kinesis record data is not base64 (${data.length} characters)`);
  const bytes = Buffer.from(data, 'base64');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new KinesisRecordError(`Kinesis record is not UTF-8 text (${bytes.length} bytes)`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    // SyntaxError messages name a position, and on newer engines quote the text: keep only the
    // position so no record content (a card number) reaches the logs.
    const at = /position (\d+)/.exec((e as Error).message)?.[1];
    throw new KinesisRecordError(
      `Kinesis record is not JSON (${bytes.length} bytes${at !== undefined ? `, error at position ${at}` : ''})`,
    );
  }
}
