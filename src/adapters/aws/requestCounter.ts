import type { FinalizeRequestMiddleware, MiddlewareStack } from '@smithy/types';
import type { AwsClients } from './clients.js';

/** SQS and SNS bill every 64 KiB chunk of a request's payload as one request. */
export const BILLING_CHUNK_BYTES = 64 * 1024;

/** What one `service:Operation` cost so far. */
export interface RequestTally {
  /** HTTP requests sent (retries included: AWS bills each). */
  requests: number;
  /** Requests as billed: for SQS/SNS payload operations, one per started 64 KiB chunk. */
  billedRequests: number;
  /** Message payload bytes (SQS/SNS bodies and attributes, sent or received); 0 elsewhere. */
  payloadBytes: number;
}

/** Anything with an AWS SDK v3 middleware stack: every client, the DynamoDB document client. */
export interface HasMiddlewareStack {
  // The stack's own Input/Output types differ per client; the counter reads only `context`,
  // `input` and `output` loosely, so any client's stack fits.
  middlewareStack: Pick<MiddlewareStack<object, object>, 'add' | 'identify'>;
}

let counters = 0;

/**
 * Counts AWS requests per `service:Operation` (`SQS:SendMessageBatch`, `S3:PutObject`,
 * `DynamoDB:PutItem`), for the cost model: attach it to SDK v3 clients and every HTTP request
 * they send (each retry too) is tallied, with message payload bytes and billed 64 KiB chunks
 * for SQS and SNS. Plain counts, no I/O; read them with {@link snapshot}.
 *
 * @example
 * ```ts
 * const counter = new RequestCounter();
 * attachRequestCounter(clients, counter);
 * await queue.send(items);
 * counter.get('SQS:SendMessageBatch').requests; // → 3
 * ```
 */
export class RequestCounter {
  private readonly tallies = new Map<string, RequestTally>();
  private readonly attached = new WeakSet<object>();
  private readonly middlewareName = `fraudminiRequestCounter${++counters}`;

  /** Adds one request to `key`, with its payload bytes when billed by 64 KiB chunk. */
  record(key: string, payloadBytes?: number): void {
    const t = this.tallies.get(key) ?? { requests: 0, billedRequests: 0, payloadBytes: 0 };
    t.requests += 1;
    if (payloadBytes === undefined) t.billedRequests += 1;
    else {
      t.payloadBytes += payloadBytes;
      t.billedRequests += Math.max(1, Math.ceil(payloadBytes / BILLING_CHUNK_BYTES));
    }
    this.tallies.set(key, t);
  }

  /** The tally of one `service:Operation` (zeros when none was sent). */
  get(key: string): RequestTally {
    return { ...(this.tallies.get(key) ?? { requests: 0, billedRequests: 0, payloadBytes: 0 }) };
  }

  /** Every tally, keys sorted. */
  snapshot(): Record<string, RequestTally> {
    const out: Record<string, RequestTally> = {};
    for (const key of [...this.tallies.keys()].sort()) out[key] = this.get(key);
    return out;
  }

  /** Sum over every operation. */
  total(): RequestTally {
    const sum = { requests: 0, billedRequests: 0, payloadBytes: 0 };
    for (const t of this.tallies.values()) {
      sum.requests += t.requests;
      sum.billedRequests += t.billedRequests;
      sum.payloadBytes += t.payloadBytes;
    }
    return sum;
  }

  reset(): void {
    this.tallies.clear();
  }

  /**
   * Starts counting a client's requests. Attaching twice to one stack counts once: the DynamoDB
   * document client shares its inner client's stack, so either (or both) may be given.
   */
  attach(client: HasMiddlewareStack): void {
    const stack = client.middlewareStack;
    if (this.attached.has(stack)) return;
    this.attached.add(stack);
    const middleware: FinalizeRequestMiddleware<object, object> = (next, context) => async (args) => {
      const service = (context.clientName ?? 'AWS').replace(/Client$/, '');
      const operation = (context.commandName ?? 'Unknown').replace(/Command$/, '');
      const key = `${service}:${operation}`;
      let result: Awaited<ReturnType<typeof next>>;
      try {
        result = await next(args);
      } catch (e) {
        // An error answer (a 404 on HeadObject, a throttle before a retry) is a billed request too.
        this.record(key, payloadOf(service, operation, args.input, undefined));
        throw e;
      }
      this.record(key, payloadOf(service, operation, args.input, result.output));
      return result;
    };
    // finalizeRequest runs inside the retry middleware, so every attempt is seen.
    stack.add(middleware as never, { step: 'finalizeRequest', name: this.middlewareName });
  }
}

/** Attaches the counter to every client fraudmini uses (S3, SQS, SNS, DynamoDB, Kinesis, Secrets Manager). */
export function attachRequestCounter(clients: AwsClients, counter: RequestCounter): void {
  for (const client of [clients.s3, clients.sqs, clients.sns, clients.dynamo, clients.kinesis, clients.secrets]) {
    counter.attach(client);
  }
}

interface Attribute {
  DataType?: string;
  StringValue?: string;
  BinaryValue?: Uint8Array;
}

function attributesBytes(attributes: Record<string, Attribute> | undefined): number {
  let n = 0;
  for (const [name, a] of Object.entries(attributes ?? {})) {
    n += Buffer.byteLength(name) + Buffer.byteLength(a.DataType ?? '');
    n += a.StringValue !== undefined ? Buffer.byteLength(a.StringValue) : (a.BinaryValue?.length ?? 0);
  }
  return n;
}

interface Message {
  MessageBody?: string;
  Body?: string;
  Message?: string;
  MessageAttributes?: Record<string, Attribute>;
}

function messageBytes(m: Message): number {
  return Buffer.byteLength(m.MessageBody ?? m.Body ?? m.Message ?? '') + attributesBytes(m.MessageAttributes);
}

/** Payload bytes of the SQS/SNS operations billed by 64 KiB chunk; undefined for the rest. */
function payloadOf(service: string, operation: string, input: unknown, output: unknown): number | undefined {
  const i = input as { Entries?: Message[]; PublishBatchRequestEntries?: Message[] } & Message;
  if (service === 'SQS') {
    if (operation === 'SendMessage') return messageBytes(i);
    if (operation === 'SendMessageBatch') return (i.Entries ?? []).reduce((s, m) => s + messageBytes(m), 0);
    if (operation === 'ReceiveMessage') {
      const messages = (output as { Messages?: Message[] } | undefined)?.Messages ?? [];
      return messages.reduce((s, m) => s + messageBytes(m), 0);
    }
  }
  if (service === 'SNS') {
    if (operation === 'Publish') return messageBytes(i);
    if (operation === 'PublishBatch') return (i.PublishBatchRequestEntries ?? []).reduce((s, m) => s + messageBytes(m), 0);
  }
  return undefined;
}
