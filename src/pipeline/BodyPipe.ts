/** A part of a piped body: text, or bytes (the UTF-8 of text rendered on another thread). */
export type BodyPart = string | Uint8Array;

/**
 * A body handed from a producer that pushes (the ingest loop) to a consumer that pulls (an
 * `ObjectStore.write` of an `AsyncIterable`), with back-pressure: {@link write} waits while more
 * than `highWater` characters or bytes are queued, so memory stays bounded when the disk is the
 * slower side. {@link fail} ends it with an error on both sides. Text queued together is handed
 * on as one string; bytes are handed on as they came, uncopied.
 *
 * @example
 * const pipe = new BodyPipe();
 * const written = objects.write('processing/1-tx.csv.masked', pipe);
 * await pipe.write('a,b\n');
 * pipe.end();
 * await written;
 */
export class BodyPipe implements AsyncIterable<BodyPart> {
  private parts: BodyPart[] = [];
  private size = 0;
  private ended = false;
  private failure: { error: unknown } | undefined;
  /** The reader's resolve while it waits for a part or the end. */
  private readerWaiting: (() => void) | undefined;
  /** The writer's resolve while it waits for the queue to go down. */
  private writerWaiting: (() => void) | undefined;

  /** @param highWater characters or bytes queued before {@link write} waits. @default 4 Mi */
  constructor(private readonly highWater = 4 << 20) {}

  /** Queues a part; resolves once the queue is back under the high-water mark. */
  async write(part: BodyPart): Promise<void> {
    if (this.ended) throw new Error('write after end of the pipe');
    // Characters of text, bytes of bytes (a Uint8Array's length is its byte length).
    const size = part.length;
    if (size > 0) {
      this.parts.push(part);
      this.size += size;
      this.wakeReader();
    }
    while (this.size > this.highWater && !this.failure) {
      await new Promise<void>((resolve) => {
        this.writerWaiting = resolve;
      });
    }
    if (this.failure) throw this.failure.error;
  }

  /** No more parts: the consumer ends after what is queued. */
  end(): void {
    this.ended = true;
    this.wakeReader();
  }

  /** Ends the pipe with an error: the consumer throws it, a waiting writer too. */
  fail(error: unknown): void {
    this.failure ??= { error };
    this.wakeReader();
    this.wakeWriter();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<BodyPart> {
    for (;;) {
      if (this.failure) throw this.failure.error;
      if (this.parts.length > 0) {
        const queued = this.parts;
        this.parts = [];
        this.size = 0;
        this.wakeWriter();
        yield* joinText(queued);
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => {
        this.readerWaiting = resolve;
      });
    }
  }

  private wakeReader(): void {
    const wake = this.readerWaiting;
    this.readerWaiting = undefined;
    wake?.();
  }

  private wakeWriter(): void {
    const wake = this.writerWaiting;
    this.writerWaiting = undefined;
    wake?.();
  }
}

/** `parts` in order, each run of text joined into one string. */
function* joinText(parts: readonly BodyPart[]): Generator<BodyPart> {
  let text: string[] = [];
  for (const part of parts) {
    if (typeof part === 'string') {
      text.push(part);
      continue;
    }
    if (text.length > 0) yield text.join('');
    text = [];
    yield part;
  }
  if (text.length > 0) yield text.join('');
}
