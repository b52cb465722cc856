import { App, type AppProps, type Environment, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, PCIDSS321Checks } from 'cdk-nag';
import { readInfraConfig, type InfraConfig } from './config.js';
import { DeployStack } from './stacks/deployStack.js';
import { PipelineStack } from './stacks/pipelineStack.js';
import { StatefulStack } from './stacks/statefulStack.js';

/** The app and its stacks. */
export interface FraudminiApp {
  app: App;
  config: InfraConfig;
  stateful: StatefulStack;
  pipeline: PipelineStack;
  /** Present when `githubRepo` is in context. */
  deploy?: DeployStack;
}

/**
 * Builds the fraudmini CDK app: `Fraudmini-<env>-Stateful` (keys, buckets, tables, secret),
 * `Fraudmini-<env>-Pipeline` (everything else) and, with `githubRepo`, `Fraudmini-<env>-Deploy`
 * (the GitHub OIDC deploy role). cdk-nag's AWS Solutions and PCI DSS 3.2.1 packs validate every
 * synth; an unacknowledged finding fails it.
 *
 * @example
 * const { app } = buildFraudminiApp({ context: { env: 'prod' } });
 * app.synth();
 */
export function buildFraudminiApp(props: AppProps = {}, env?: Environment): FraudminiApp {
  const app = new App(props);
  const config = readInfraConfig(app);
  const prefix = `Fraudmini-${config.envName}`;
  const common = {
    ...(env === undefined ? {} : { env }),
    description: 'fraudmini fraud-detection pipeline (see infra/)',
  };
  const stateful = new StatefulStack(app, `${prefix}-Stateful`, {
    ...common,
    capacity: config.capacity,
    glacierAfterDays: config.glacierAfterDays,
    retentionDays: config.retentionDays,
    inboxExpireDays: config.inboxExpireDays,
    terminationProtection: true,
  });
  const pipeline = new PipelineStack(app, `${prefix}-Pipeline`, {
    ...common,
    config,
    dataKey: stateful.dataKey,
    messagingKey: stateful.messagingKey,
    rawBucket: stateful.rawBucket,
    refinedBucket: stateful.refinedBucket,
    tables: stateful.tables,
    tokenSecret: stateful.tokenSecret,
  });
  const deploy =
    config.githubRepo === undefined
      ? undefined
      : new DeployStack(app, `${prefix}-Deploy`, {
          ...common,
          githubRepo: config.githubRepo,
          cdkQualifier: config.cdkQualifier,
          ...(config.githubOidcProviderArn === undefined ? {} : { githubOidcProviderArn: config.githubOidcProviderArn }),
        });
  Tags.of(app).add('app', 'fraudmini');
  Tags.of(app).add('env', config.envName);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new PCIDSS321Checks(app));
  return { app, config, stateful, pipeline, ...(deploy ? { deploy } : {}) };
}
