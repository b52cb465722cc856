/** Errors of the DynamoDB adapters. */

/** Base of every DynamoDB adapter error. */
export class DynamoStoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DynamoStoreError';
  }
}

/** DynamoDB kept leaving part of a batch unprocessed (throttling) after every retry. */
export class DynamoRetryExhaustedError extends DynamoStoreError {
  constructor(
    readonly operation: string,
    readonly table: string,
    readonly remaining: number,
  ) {
    super(`${operation} on ${table}: ${remaining} requests still unprocessed after retries (throttled?)`);
    this.name = 'DynamoRetryExhaustedError';
  }
}

/** A rule set version was activated again with a different document. */
export class RulesVersionConflictError extends DynamoStoreError {
  constructor(readonly version: string) {
    super(`rules version ${version} already exists with a different document; choose a new version`);
    this.name = 'RulesVersionConflictError';
  }
}

/** A packed-events attribute of the features table could not be read (corrupt, or written by a newer format). */
export class PackedEventsError extends DynamoStoreError {
  constructor(reason: string) {
    super(`features table: ${reason}`);
    this.name = 'PackedEventsError';
  }
}
