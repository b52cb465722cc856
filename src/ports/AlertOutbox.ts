import type { Alert } from '../core/views.js';

/**
 * Alerts stored with their decisions, read by sinks at their own pace (transactional outbox):
 * each sink has its own cursor, moved only once a delivery succeeded.
 *
 * @example
 * const alerts = await outbox.listAlerts({ afterId: await outbox.deliveryCursor('webhook'), limit: 500 });
 */
export interface AlertOutbox {
  /** Alerts with an id above `afterId`, oldest first. */
  listAlerts(q: { afterId: number; limit: number }): Promise<Alert[]>;
  /** Id of the last alert a sink has taken (0 before its first delivery). */
  deliveryCursor(sink: string): Promise<number>;
  /** Moves a sink's cursor. */
  setDeliveryCursor(sink: string, cursor: number): Promise<void>;
}
