import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { ENV } from '../../src/adapters/aws/tables.js';
import { grantPublish, grantTableData } from './access.js';
import { FraudminiFunction, type FraudminiFunctionProps } from './fraudminiFunction.js';
import { QueueWithDlq } from './queueWithDlq.js';
import { FUNCTION_MEMORY_MB } from '../functionSizes.js';

export interface AlertsProps {
  messagingKey: kms.IKey;
  dataKey: kms.IKey;
  /** Notify keeps its idempotency records here (one alert per decision, whatever the redeliveries). */
  idempotencyTable: dynamodb.ITable;
  maxReceiveCount: number;
  /** Subscribed to the alerts topic when given. */
  alertEmail?: string;
  /** Settings every function shares. */
  functionDefaults: Pick<FraudminiFunctionProps, 'logKey' | 'logRetentionDays' | 'logLevel' | 'network'>;
  reservedConcurrency: number;
}

/**
 * Risky decisions → the `suspicious` queue → `notify` → the alerts topic (email-ready). A queue
 * between scoring and SNS keeps a slow or failing subscriber from failing a scoring batch, and
 * gives alerts their own DLQ.
 */
export class Alerts extends Construct {
  /** Where scorers send risky decisions. */
  readonly suspicious: QueueWithDlq;
  /** Formatted alerts; subscribe email or anything else. */
  readonly topic: sns.Topic;
  /** The `notify` function. */
  readonly notify: FraudminiFunction;

  constructor(scope: Construct, id: string, props: AlertsProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'fraudmini alerts',
      masterKey: props.messagingKey,
      enforceSSL: true,
    });
    if (props.alertEmail !== undefined) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(props.alertEmail));
    }
    const timeout = Duration.seconds(30);
    this.suspicious = new QueueWithDlq(this, 'Suspicious', {
      consumerTimeout: timeout,
      key: props.messagingKey,
      maxReceiveCount: props.maxReceiveCount,
    });
    this.notify = new FraudminiFunction(this, 'Notify', {
      ...props.functionDefaults,
      entry: 'notify',
      timeout,
      memorySize: FUNCTION_MEMORY_MB.notify,
      reservedConcurrency: props.reservedConcurrency,
      environment: {
        [ENV.alertsTopicArn]: this.topic.topicArn,
        [ENV.idempotencyTable]: props.idempotencyTable.tableName,
      },
    });
    grantPublish(this.notify.role, this.topic, props.messagingKey);
    grantTableData(this.notify.role, props.idempotencyTable, 'idempotency', props.dataKey);
    // Alerts are rare and each is one SNS publish: a batch of 10 with a short window means few
    // invocations without delaying an alert noticeably.
    this.notify.fn.addEventSource(
      new SqsEventSource(this.suspicious.queue, {
        batchSize: 10,
        maxBatchingWindow: Duration.seconds(5),
        reportBatchItemFailures: true,
      }),
    );
  }
}
