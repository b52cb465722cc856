/**
 * Text handed from a producer that pushes (the ingest loop) to a consumer that pulls (an
 * `ObjectStore.write` of an `AsyncIterable<string>`), with back-pressure: {@link write} waits
 * while more than `highWater` characters are queued, so memory stays bounded when the disk is
 * the slower side. {@link fail} ends it with an error on both sides.
 *
 * @example
 * const pipe = new TextPipe();
 * const written = objects.write('processing/1-tx.csv.masked', pipe);
 * await pipe.write('a,b\n');
 * pipe.end();
 * await written;
 */
export class TextPipe implements AsyncIterable<string> {
  private parts: string[] = [];
  private size = 0;
  private ended = false;
  private failure: { error: unknown } | undefined;
  private wakeReader: (() => void) | undefined;
  private wakeWriter: (() => void) | undefined;

  /** @param highWater characters queued before {@link write} waits. @default 4 Mi */
  constructor(private readonly highWater = 4 << 20) {}

  /** Queues text; resolves once the queue is back under the high-water mark. */
  async write(text: string): Promise<void> {
    if (this.ended) throw new Error('write after end of the pipe');
    if (text.length > 0) {
      this.parts.push(text);
      this.size += text.length;
      this.wake('reader');
    }
    while (this.size > this.highWater && !this.failure) {
      await new Promise<void>((resolve) => {
        this.wakeWriter = resolve;
      });
    }
    if (this.failure) throw this.failure.error;
  }

  /** No more text: the consumer ends after what is queued. */
  end(): void {
    this.ended = true;
    this.wake('reader');
  }

  /** Ends the pipe with an error: the consumer throws it, a waiting writer too. */
  fail(error: unknown): void {
    this.failure ??= { error };
    this.wake('reader');
    this.wake('writer');
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<string> {
    for (;;) {
      if (this.failure) throw this.failure.error;
      if (this.parts.length > 0) {
        const text = this.parts.length === 1 ? (this.parts[0] as string) : this.parts.join('');
        this.parts = [];
        this.size = 0;
        this.wake('writer');
        yield text;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => {
        this.wakeReader = resolve;
      });
    }
  }

  private wake(side: 'reader' | 'writer'): void {
    const wake = side === 'reader' ? this.wakeReader : this.wakeWriter;
    if (side === 'reader') this.wakeReader = undefined;
    else this.wakeWriter = undefined;
    wake?.();
  }
}
