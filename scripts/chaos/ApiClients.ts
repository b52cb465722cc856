import type { Sfc32 } from '../../src/synth/random.js';
import { sleep } from './FraudminiProcess.js';
import type { PlannedPost } from './workload.js';

/** A 2xx answer to `POST /transactions`: the decision the caller was told. */
export interface PostAnswer {
  status: number;
  outcome: string;
  score: number;
  duplicate: boolean;
}

/** Everything the API clients sent and were answered. */
export interface ApiLog {
  /** Per transaction id: the 2xx answers. */
  answers: Map<string, PostAnswer[]>;
  /** Ids answered 400 (invalid bodies). */
  rejected: Set<string>;
  /** POST requests sent, including retries and re-POSTs. */
  postRequests: number;
  /** POSTs sent again after a 2xx (idempotency). */
  reposts: number;
  /** POST requests that got no answer (connection refused or reset, timeout) or a 5xx. */
  postFailures: number;
  /** Label requests, by answer: `201`, `200`, `409`, `404`, `400`, or `error`. */
  labelAnswers: Record<string, number>;
  /** Labels the API said it recorded (201) or already had (200), or refused as conflicting (409). */
  labels: { id: string; label: 'fraud' | 'legit'; status: number }[];
  /** Every label sent, answered or not (a request cut off by a kill may have been recorded). */
  labelsSent: Set<string>;
}

/** What the clients need from the run. */
export interface ApiClientsOptions {
  /** The API's base URL (the same port across restarts). */
  url: string;
  posts: PlannedPost[];
  /** Transaction ids that may be decided by now (rows of dropped files): label candidates. */
  fileIds: () => readonly string[];
  rng: Sfc32;
  /** Concurrent POST loops. @default 4 */
  postWorkers?: number;
  /** Concurrent label loops. @default 1 */
  labelWorkers?: number;
}

/**
 * Concurrent API traffic for a chaos run. POST loops send every planned transaction until it is
 * answered (a refused or cut-off request is sent again, as a real client would), then keep
 * re-POSTing answered ones until told to finish. Label loops label transactions that were
 * answered or are rows of dropped files. `inFlight` counts requests under way, so the run can
 * kill fraudmini while one is.
 */
export class ApiClients {
  readonly log: ApiLog = {
    answers: new Map(),
    rejected: new Set(),
    postRequests: 0,
    reposts: 0,
    postFailures: 0,
    labelAnswers: {},
    labels: [],
    labelsSent: new Set(),
  };
  postsInFlight = 0;
  labelsInFlight = 0;
  /** Called as each POST is sent (the run kills on it when its next kill targets a POST). */
  onPost: (() => void) | undefined;
  onLabel: (() => void) | undefined;
  private next = 0;
  private finishing = false;
  private stopped = false;
  private loops: Promise<void>[] = [];
  private readonly answered: PlannedPost[] = [];

  constructor(private readonly options: ApiClientsOptions) {}

  start(): void {
    const posts = this.options.postWorkers ?? 4;
    const labels = this.options.labelWorkers ?? 1;
    for (let i = 0; i < posts; i++) this.loops.push(this.postLoop());
    for (let i = 0; i < labels; i++) this.loops.push(this.labelLoop());
  }

  /** Every planned transaction answered (valid ones 2xx, invalid ones 400). */
  get allAnswered(): boolean {
    return this.next >= this.options.posts.length && this.postsInFlight === 0;
  }

  /** Stops re-POSTing and labelling; resolves once every planned transaction is answered. */
  async finish(): Promise<void> {
    this.finishing = true;
    await Promise.all(this.loops);
  }

  /** Stops everything at once (a run that gives up). */
  async abort(): Promise<void> {
    this.stopped = true;
    this.finishing = true;
    await Promise.all(this.loops);
  }

  private async postLoop(): Promise<void> {
    const rng = this.options.rng;
    while (!this.stopped) {
      let post: PlannedPost | undefined;
      // Now and then (always, once every planned one is answered) an answered transaction again.
      const repost =
        !this.finishing &&
        this.answered.length > 0 &&
        (this.next >= this.options.posts.length || rng.float() < 0.15);
      if (repost) post = this.answered[rng.int(this.answered.length)];
      else if (this.next < this.options.posts.length) post = this.options.posts[this.next++];
      if (!post) return;
      if (repost) this.log.reposts++;
      await this.postUntilAnswered(post);
      if (!post.invalid && !repost) this.answered.push(post);
      await sleep(rng.int(15));
    }
  }

  /** Sends one transaction until fraudmini answers it (2xx or 4xx). */
  private async postUntilAnswered(post: PlannedPost): Promise<void> {
    while (!this.stopped) {
      this.log.postRequests++;
      this.postsInFlight++;
      this.onPost?.();
      let status = 0;
      let body: { decision?: { outcome?: string; score?: number }; duplicate?: boolean } = {};
      try {
        const res = await fetch(`${this.options.url}/transactions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(post.body),
          signal: AbortSignal.timeout(15_000),
        });
        status = res.status;
        body = (await res.json()) as typeof body;
      } catch {
        status = 0;
      } finally {
        this.postsInFlight--;
      }
      if (status >= 200 && status < 300) {
        const answers = this.log.answers.get(post.id) ?? [];
        answers.push({
          status,
          outcome: body.decision?.outcome ?? '',
          score: body.decision?.score ?? Number.NaN,
          duplicate: body.duplicate === true,
        });
        this.log.answers.set(post.id, answers);
        return;
      }
      if (status >= 400 && status < 500) {
        this.log.rejected.add(post.id);
        return;
      }
      this.log.postFailures++;
      await sleep(50 + this.options.rng.int(100));
    }
  }

  private async labelLoop(): Promise<void> {
    const rng = this.options.rng;
    while (!this.finishing) {
      const id = this.labelCandidate();
      if (id === undefined) {
        await sleep(50);
        continue;
      }
      const label = rng.float() < 0.3 ? 'fraud' : 'legit';
      await this.sendLabel(id, label);
      // Now and then the same transaction again: the same label (unchanged) or the other (conflict).
      if (rng.float() < 0.2) await this.sendLabel(id, rng.float() < 0.5 ? label : label === 'fraud' ? 'legit' : 'fraud');
      await sleep(10 + rng.int(40));
    }
  }

  private labelCandidate(): string | undefined {
    const rng = this.options.rng;
    const ids = rng.float() < 0.6 ? [...this.log.answers.keys()] : this.options.fileIds();
    if (ids.length === 0) return undefined;
    return ids[rng.int(ids.length)];
  }

  private async sendLabel(id: string, label: 'fraud' | 'legit'): Promise<void> {
    this.labelsInFlight++;
    this.onLabel?.();
    this.log.labelsSent.add(`${id}\t${label}`);
    let key = 'error';
    try {
      const res = await fetch(`${this.options.url}/transactions/${encodeURIComponent(id)}/label`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ label }),
        signal: AbortSignal.timeout(15_000),
      });
      await res.arrayBuffer();
      key = String(res.status);
      if (res.status === 200 || res.status === 201 || res.status === 409) this.log.labels.push({ id, label, status: res.status });
    } catch {
      // refused or cut off by a kill: it may or may not have been recorded
    } finally {
      this.labelsInFlight--;
    }
    this.log.labelAnswers[key] = (this.log.labelAnswers[key] ?? 0) + 1;
    if (key === 'error') await sleep(100);
  }
}
