import { Duration } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface QueueWithDlqProps {
  /** Timeout of the function that consumes the queue. */
  consumerTimeout: Duration;
  /** Encrypts both queues (the messaging key, never the bucket key). */
  key: kms.IKey;
  /** Receives before a message moves to the DLQ. */
  maxReceiveCount: number;
}

/**
 * An SQS queue and its dead-letter queue, with the defaults every fraudmini hand-off shares:
 *
 * - visibility timeout = 6 × the consumer's timeout (AWS's guidance for Lambda event sources:
 *   leaves room for retries of a throttled batch before a message reappears).
 * - DLQ kept 14 days (the SQS maximum) so a failure can be inspected and redriven.
 * - source queue kept 4 days (the SQS default).
 * - SSE-KMS with the messaging key, data key reuse 5 minutes (fewer KMS calls), SSL enforced.
 */
export class QueueWithDlq extends Construct {
  /** The queue. */
  readonly queue: sqs.Queue;
  /** Its dead-letter queue. */
  readonly dlq: sqs.Queue;

  constructor(scope: Construct, id: string, props: QueueWithDlqProps) {
    super(scope, id);
    const encryption = {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.key,
      dataKeyReuse: Duration.minutes(5),
      enforceSSL: true,
    };
    this.dlq = new sqs.Queue(this, 'Dlq', { ...encryption, retentionPeriod: Duration.days(14) });
    this.queue = new sqs.Queue(this, 'Queue', {
      ...encryption,
      visibilityTimeout: Duration.seconds(props.consumerTimeout.toSeconds() * 6),
      deadLetterQueue: { queue: this.dlq, maxReceiveCount: props.maxReceiveCount },
    });
  }
}
