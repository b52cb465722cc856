import type { EventClock } from '../../src/ports/EventClock.js';

/**
 * An {@link EventClock} in memory.
 *
 * @example
 * const clock = new InMemoryEventClock();
 * await clock.advance(5_000); // latest() is now 5000
 */
export class InMemoryEventClock implements EventClock {
  private t = Number.NEGATIVE_INFINITY;

  async latest(): Promise<number> {
    return this.t;
  }

  async advance(t: number): Promise<void> {
    if (t > this.t) this.t = t;
  }
}
