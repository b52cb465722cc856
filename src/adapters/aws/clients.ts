import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/** The AWS SDK v3 clients fraudmini uses, created once per process and injected everywhere. */
export interface AwsClients {
  s3: S3Client;
  sqs: SQSClient;
  sns: SNSClient;
  /** Document client: plain JS values in and out, empty strings kept, undefined removed. */
  dynamo: DynamoDBDocumentClient;
  /** The plain client under {@link dynamo} (Powertools idempotency takes this one). */
  dynamoBase: DynamoDBClient;
  kinesis: KinesisClient;
  secrets: SecretsManagerClient;
}

/** Where to reach each service: the defaults on AWS, emulator endpoints in tests. */
export interface AwsClientOptions {
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Endpoint for S3, SQS and SNS (one emulator serves all three in tests). */
  messagingEndpoint?: string;
  dynamodbEndpoint?: string;
  kinesisEndpoint?: string;
}

/**
 * Builds the clients. With no options they use the Lambda environment (region, role
 * credentials). Kinesis uses an HTTP/1.1 handler: it works everywhere and kinesalite needs it.
 */
export function createAwsClients(options: AwsClientOptions = {}): AwsClients {
  const base = {
    ...(options.region ? { region: options.region } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  };
  const messaging = options.messagingEndpoint ? { endpoint: options.messagingEndpoint } : {};
  const dynamo = new DynamoDBClient({
    ...base,
    ...(options.dynamodbEndpoint ? { endpoint: options.dynamodbEndpoint } : {}),
  });
  return {
    s3: new S3Client({ ...base, ...messaging, ...(options.messagingEndpoint ? { forcePathStyle: true } : {}) }),
    sqs: new SQSClient({ ...base, ...messaging }),
    sns: new SNSClient({ ...base, ...messaging }),
    dynamo: DynamoDBDocumentClient.from(dynamo, {
      marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    }),
    dynamoBase: dynamo,
    kinesis: new KinesisClient({
      ...base,
      ...(options.kinesisEndpoint ? { endpoint: options.kinesisEndpoint } : {}),
      requestHandler: new NodeHttpHandler(),
    }),
    secrets: new SecretsManagerClient(base),
  };
}
