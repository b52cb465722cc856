import type { Alert } from '../core/views.js';

/** Alerts stored with their decisions, read by sinks at their own pace (transactional outbox). */
export interface AlertOutbox {
  /** Alerts with an id above `afterId`, oldest first. */
  listAlerts(q: { afterId: number; limit: number }): Alert[];
  /** Id of the last alert a sink has taken. */
  deliveryCursor(sink: string): number;
  /** Moves a sink's cursor; a promise when the write happens elsewhere (the dispatcher awaits it before reading the cursor again). */
  setDeliveryCursor(sink: string, cursor: number): void | Promise<void>;
}
