/**
 * The live view's figures: the counters of `GET /stats` and the rates over the last minute, from
 * the counters sampled as time goes by.
 */
import type { Stats } from '../core/records.js';

/** What the live view shows at one time. */
export interface LiveFigures {
  at: string;
  transactions: number;
  alerts: number;
  outcomes: Stats['outcomes'];
  files: Stats['files'];
  /** Decisions stored over the last minute (or since the first sample, scaled to a minute). */
  decisions_per_minute: number;
  alerts_per_minute: number;
  /** Share of all decisions that raised an alert, 0–1; 0 before the first decision. */
  alert_rate: number;
}

const MINUTE_MS = 60_000;

/**
 * Rates from counters sampled over time: keeps the samples of the last minute (and the one just
 * before it, the base of the rates).
 *
 * @example
 * const live = new LiveRates();
 * const figures = live.sample(await decisions.stats(), Date.now());
 */
export class LiveRates {
  private samples: { t: number; transactions: number; alerts: number }[] = [];

  /** Adds a sample of the counters taken at `now` (epoch ms) and returns the figures then. */
  sample(stats: Stats, now: number): LiveFigures {
    this.samples.push({ t: now, transactions: stats.transactions, alerts: stats.alerts });
    // Keep one sample at or before a minute ago: the base the rates are measured from.
    while (this.samples.length > 2 && (this.samples[1]?.t ?? now) <= now - MINUTE_MS) this.samples.shift();
    const base = this.samples[0] ?? { t: now, transactions: stats.transactions, alerts: stats.alerts };
    const minutes = Math.max(now - base.t, 1000) / MINUTE_MS;
    const perMinute = (n: number) => Math.max(0, Math.round(n / minutes));
    return {
      at: new Date(now).toISOString(),
      transactions: stats.transactions,
      alerts: stats.alerts,
      outcomes: stats.outcomes,
      files: stats.files,
      decisions_per_minute: perMinute(stats.transactions - base.transactions),
      alerts_per_minute: perMinute(stats.alerts - base.alerts),
      alert_rate: stats.transactions > 0 ? stats.alerts / stats.transactions : 0,
    };
  }
}
