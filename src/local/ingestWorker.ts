import { createReadStream } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { createPanTokenizer } from '../core/pan.js';
import type { BodyPart } from '../pipeline/BodyPipe.js';
import { ingestHereInto } from '../pipeline/ingest.js';
import {
  type IngestThreadError,
  type IngestThreadReply,
  type IngestThreadRequest,
  type IngestThreadSetup,
  SOURCE_FAILED,
} from './IngestThread.js';
import { type PackedBatch, PackedBatchBuilder, packedTransferables } from './packedBatch.js';
import { runBehindScoring } from '../adapters/local/threadPriority.js';

/**
 * The parsing thread of `ingestOnThread`: reads the file (or takes its bytes from the calling
 * thread), parses, validates and tokenises it with the same ingest stage as everywhere else,
 * renders its masked copy when asked, and hands each batch over packed (`PackedBatchBuilder`). It runs at
 * most as many batches ahead as the scoring thread has granted (credits), so a slow consumer
 * holds it back instead of filling memory.
 */
const port = parentPort;
if (!port) throw new Error('ingestWorker runs as a worker thread');
// Scoring bounds the run; this thread can fall behind for a while without slowing it.
runBehindScoring();
const setup = workerData as IngestThreadSetup;

let credits = 0;
let wake: (() => void) | undefined;
/** Bytes sent by the calling thread and not yet parsed; `null` ends them, `false` fails them. */
const chunks: (Uint8Array | null | false)[] = [];
const notify = (): void => {
  wake?.();
  wake = undefined;
};
port.on('message', (m: IngestThreadRequest) => {
  if ('credits' in m) credits += m.credits;
  else if ('chunk' in m) chunks.push(m.chunk);
  else chunks.push(m.end ? null : false);
  notify();
});

function post(reply: IngestThreadReply, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(reply, transfer);
}

/** The bytes the calling thread sends, as they come; each taken chunk is acknowledged. */
async function* posted(): AsyncGenerator<Buffer> {
  for (;;) {
    const c = chunks.shift();
    if (c === undefined) {
      await new Promise<void>((resolve) => (wake = resolve));
      continue;
    }
    if (c === null) return;
    if (c === false) throw Object.assign(new Error('the source failed'), { name: SOURCE_FAILED });
    post({ kind: 'taken' });
    yield Buffer.from(c.buffer, c.byteOffset, c.byteLength);
  }
}

async function run(): Promise<void> {
  const tokenizer = createPanTokenizer(Buffer.from(setup.tokenKey), { cache: setup.tokenCache });
  // The masked copy's UTF-8, rendered here so that the scoring thread only writes it, and
  // transferred: a string would be copied into the message and out of it, then encoded there.
  let masked: Uint8Array[] = [];
  const source = setup.path !== undefined ? createReadStream(setup.path, { highWaterMark: 1 << 20 }) : posted();
  // Each row is packed as it is validated (see PackedBatchBuilder), not once its batch is full.
  const batches = ingestHereInto(tokenizer, () => new PackedBatchBuilder(setup.batchSize))(source, {
    fileKey: setup.fileKey,
    fieldMap: setup.fieldMap,
    batchSize: setup.batchSize,
    maxRecord: setup.maxRecord,
    skipRows: setup.skipRows,
    defaultCurrency: setup.defaultCurrency,
    attributes: setup.attributes,
    ...(setup.maskedCopy ? { onMasked: (part: BodyPart) => masked.push(ownBytes(part)) } : {}),
  });
  // Batches go over in groups: a message costs about the same whatever its size (the other thread
  // is woken for each), and at a batch per message that cost was a large part of the handover.
  let group: PackedBatch[] = [];
  let rows = 0;
  const send = async (): Promise<void> => {
    while (credits === 0) await new Promise<void>((resolve) => (wake = resolve));
    credits--;
    post({ kind: 'batches', batches: group, masked }, [...group.flatMap(packedTransferables), ...masked.map((m) => m.buffer as ArrayBuffer)]);
    masked = [];
    group = [];
    rows = 0;
  };
  try {
    for await (const packed of batches) {
      group.push(packed);
      rows += packed.size + packed.rejections.length;
      if (rows >= setup.groupRows) await send();
    }
  } finally {
    // The batches before a failure are handed over before it, as on one thread.
    if (group.length > 0) await send();
  }
  post({ kind: 'end', masked }, masked.map((m) => m.buffer as ArrayBuffer));
}

run().then(
  () => port.close(),
  (e: unknown) => {
    post({ kind: 'error', error: describe(e) });
    port.close();
  },
);

/** What the scoring thread needs to raise the same error: its class, message and fields. */
function describe(e: unknown): IngestThreadError {
  const err = e instanceof Error ? e : new Error(String(e));
  const fields = err as Error & { file?: unknown; line?: unknown; maxRecord?: unknown; code?: unknown };
  return {
    name: err.name,
    message: err.message,
    file: typeof fields.file === 'string' ? fields.file : undefined,
    line: typeof fields.line === 'number' ? fields.line : undefined,
    maxRecord: typeof fields.maxRecord === 'number' ? fields.maxRecord : undefined,
    code: typeof fields.code === 'string' ? fields.code : undefined,
  };
}

/** A part's UTF-8 in an array buffer of its own, which can be transferred whole. */
function ownBytes(part: BodyPart): Uint8Array {
  const bytes = typeof part === 'string' ? Buffer.from(part, 'utf8') : part;
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : new Uint8Array(bytes);
}
