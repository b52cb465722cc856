import { Duration } from 'aws-cdk-lib';
import type { ApiMetrics } from './api.js';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { FraudminiFunction } from './fraudminiFunction.js';

export interface MonitoringProps {
  messagingKey: kms.IKey;
  functions: Record<string, FraudminiFunction>;
  /** Dead-letter and on-failure queues: any message in one is a lost stage of work. */
  deadLetterQueues: Record<string, sqs.IQueue>;
  /** Source queues, for the backlog widget. */
  queues: Record<string, sqs.IQueue>;
  /** The API's metrics (REST or HTTP API). */
  api: ApiMetrics;
  /** Subscribed to the ops topic when given. */
  opsEmail?: string;
}

/**
 * Alarms into an ops topic (separate from the fraud alerts topic: different readers) and one
 * dashboard. Every alarm fires on the first occurrence — a message in a DLQ, a function error,
 * a throttle — because each of them means a file, a batch or a request did not go through.
 */
export class Monitoring extends Construct {
  /** Alarm notifications. */
  readonly opsTopic: sns.Topic;
  /** All alarms. */
  readonly alarms: cloudwatch.Alarm[] = [];
  /** The dashboard. */
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.opsTopic = new sns.Topic(this, 'OpsTopic', {
      displayName: 'fraudmini operations',
      masterKey: props.messagingKey,
      enforceSSL: true,
    });
    if (props.opsEmail !== undefined) this.opsTopic.addSubscription(new subscriptions.EmailSubscription(props.opsEmail));
    const action = new actions.SnsAction(this.opsTopic);
    const alarm = (alarmId: string, metric: cloudwatch.IMetric, description: string): void => {
      const a = new cloudwatch.Alarm(this, alarmId, {
        metric,
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      a.addAlarmAction(action);
      this.alarms.push(a);
    };
    const fiveMinutes = { period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM };

    for (const [name, queue] of Object.entries(props.deadLetterQueues)) {
      alarm(
        `${name}DlqDepth`,
        queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM }),
        `Messages in the ${name} dead-letter queue: inspect, fix, redrive.`,
      );
    }
    for (const [name, f] of Object.entries(props.functions)) {
      alarm(`${name}Errors`, f.fn.metricErrors(fiveMinutes), `The ${name} function failed invocations.`);
      alarm(`${name}Throttles`, f.fn.metricThrottles(fiveMinutes), `The ${name} function hit its reserved concurrency.`);
    }
    alarm('Api5xx', props.api.metricServerError(fiveMinutes), 'The API answered with 5xx.');

    const fns = Object.entries(props.functions);
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: 'Invocations',
            left: fns.map(([name, f]) => f.fn.metricInvocations({ ...fiveMinutes, label: name })),
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Errors and throttles',
            left: fns.map(([name, f]) => f.fn.metricErrors({ ...fiveMinutes, label: `${name} errors` })),
            right: fns.map(([name, f]) => f.fn.metricThrottles({ ...fiveMinutes, label: `${name} throttles` })),
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Duration p95 (ms)',
            left: fns.map(([name, f]) => f.fn.metricDuration({ period: Duration.minutes(5), statistic: 'p95', label: name })),
            width: 8,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Queue backlog',
            left: Object.entries(props.queues).map(([name, q]) =>
              q.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM, label: name }),
            ),
            right: Object.entries(props.queues).map(([name, q]) =>
              q.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM, label: `${name} age (s)` }),
            ),
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'API',
            left: [
              props.api.metricCount({ ...fiveMinutes, label: 'requests' }),
              props.api.metricClientError({ ...fiveMinutes, label: '4xx' }),
              props.api.metricServerError({ ...fiveMinutes, label: '5xx' }),
            ],
            right: [props.api.metricLatency({ period: Duration.minutes(5), statistic: 'p95', label: 'latency p95' })],
            width: 8,
          }),
          new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 8 }),
        ],
      ],
    });
  }
}
