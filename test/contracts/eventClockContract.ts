import { describe, expect, it } from 'vitest';
import type { EventClock } from '../../src/ports/EventClock.js';

/**
 * The behaviour every {@link EventClock} promises: no time before the first advance, then only
 * forward, whatever the order of concurrent advances. `makeClock` returns a new clock each call.
 *
 * @example
 * describeEventClockContract('in-memory fake', async () => new InMemoryEventClock());
 */
export function describeEventClockContract(name: string, makeClock: () => Promise<EventClock>): void {
  describe(`EventClock contract: ${name}`, () => {
    it('starts with no time, then only moves forward', async () => {
      // Prepare
      const clock = await makeClock();
      const before = await clock.latest();

      // Act
      await clock.advance(5_000);
      await clock.advance(3_000);
      await clock.advance(Number.NEGATIVE_INFINITY);
      const after = await clock.latest();

      // Assess
      expect(before).toBe(Number.NEGATIVE_INFINITY);
      expect(after).toBe(5_000);
    });

    it('ends at the latest of concurrent advances, whatever their order', async () => {
      // Prepare
      const clock = await makeClock();
      const times = [9_100, 9_700, 9_300, 9_900, 9_200, 9_800];

      // Act
      await Promise.all(times.map((t) => clock.advance(t)));

      // Assess
      expect(await clock.latest()).toBe(9_900);
    });
  });
}
