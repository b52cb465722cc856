/**
 * Memory per function, in MB: one place for the CDK app and the cost model (Lambda bills
 * duration × memory). Scoring functions get 1 GB because Lambda's CPU share grows with memory
 * and scoring is CPU-bound between its DynamoDB calls; notify only formats and publishes.
 */
export const FUNCTION_MEMORY_MB = {
  ingest: 1024,
  score: 1024,
  stream: 1024,
  tableStream: 1024,
  api: 1024,
  notify: 256,
} as const;
