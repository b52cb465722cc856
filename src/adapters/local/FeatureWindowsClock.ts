import type { FeatureWindows } from '../../core/features.js';
import type { EventClock } from '../../ports/EventClock.js';

/**
 * The local runtime's {@link EventClock}: the feature windows' own event-time "now" (every
 * transaction they observe moves it), or a later time given to {@link advance}.
 */
export class FeatureWindowsClock implements EventClock {
  private advanced = Number.NEGATIVE_INFINITY;

  constructor(private readonly windows: Pick<FeatureWindows, 'latest'>) {}

  async latest(): Promise<number> {
    return Math.max(this.windows.latest, this.advanced);
  }

  async advance(t: number): Promise<void> {
    if (t > this.advanced) this.advanced = t;
  }
}
