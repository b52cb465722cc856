/**
 * Public list prices the cost model uses: AWS us-east-1, on-demand, no free tier, no savings
 * plans. Dated: prices change, so check https://aws.amazon.com/pricing before budgeting with them
 * and update the date with the figures.
 */
export const PRICES = {
  /** When these figures were taken from the public price pages. */
  asOf: '2025-06',
  region: 'us-east-1',
  lambda: {
    /** Arm64 (Graviton), per GB-second of duration. */
    gbSecond: 0.0000133334,
    perMillionRequests: 0.2,
  },
  sqs: {
    /** Standard queues, per million requests; every started 64 KiB of payload is a request. */
    perMillionRequests: 0.4,
  },
  dynamodb: {
    /** On-demand, per million write request units (1 KB each). */
    perMillionWriteUnits: 0.625,
    /** On-demand, per million read request units (4 KB strongly consistent, 8 KB eventually). */
    perMillionReadUnits: 0.125,
    /** Provisioned, per write capacity unit-hour (one 1 KB write a second for an hour). */
    writeUnitHour: 0.00065,
    /** Provisioned, per read capacity unit-hour (one 4 KB strongly consistent read a second for an hour). */
    readUnitHour: 0.00013,
  },
  s3: {
    /** S3 Standard PUT, COPY, POST, LIST (multipart parts count as PUTs), per 1,000. */
    perThousandWrites: 0.005,
    /** S3 Standard GET, HEAD and other reads, per 1,000. */
    perThousandReads: 0.0004,
  },
  sns: {
    /** Publish requests, per million (every started 64 KiB is one). */
    perMillionPublishes: 0.5,
    /** Deliveries to email subscribers, per 100,000. SQS and Lambda deliveries are free. */
    perHundredThousandEmails: 2.0,
  },
  kms: {
    /** Per 10,000 requests (GenerateDataKey, Decrypt, …). */
    perTenThousandRequests: 0.03,
  },
  secretsManager: {
    perTenThousandCalls: 0.05,
  },
  apiGateway: {
    /** REST APIs, per million requests (first 333 million a month). */
    perMillionRestRequests: 3.5,
    /** HTTP APIs, per million requests of up to 512 KB (first 300 million a month). */
    perMillionHttpRequests: 1.0,
  },
  waf: {
    /** Per million requests inspected. */
    perMillionRequests: 0.6,
    /** Per web ACL per month. */
    webAclMonth: 5.0,
    /** Per rule (a managed rule group counts as one) per month. */
    ruleMonth: 1.0,
  },
  vpc: {
    /** Interface endpoint, per availability zone per hour. Gateway endpoints (S3, DynamoDB) are free. */
    interfaceEndpointAzHour: 0.01,
    /** Interface endpoints, per GB processed (first PB a month). */
    interfaceEndpointPerGb: 0.01,
  },
  /** Hours in a month, as AWS prices monthly figures. */
  hoursPerMonth: 730,
} as const;
