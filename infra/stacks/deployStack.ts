import { CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { type Construct } from 'constructs';

export interface DeployStackProps extends StackProps {
  /** `owner/repo` whose `main` branch may deploy. */
  githubRepo: string;
  /** An existing provider for token.actions.githubusercontent.com (one per account); created when absent. */
  githubOidcProviderArn?: string;
  /** CDK bootstrap qualifier (names the bootstrap roles). */
  cdkQualifier: string;
}

const GITHUB_ISSUER = 'token.actions.githubusercontent.com';

/**
 * The role GitHub Actions assumes to deploy, by OIDC: no long-lived keys anywhere. It trusts
 * only workflow runs on `refs/heads/main` of one repository, and it can do exactly one thing:
 * assume the CDK bootstrap roles (deploy, file publishing, lookup), which carry the actual
 * CloudFormation permissions. Deploy this stack once by hand (`cdk deploy Fraudmini-<env>-Deploy
 * -c githubRepo=owner/repo`); CI deploys the rest.
 */
export class DeployStack extends Stack {
  /** The role for `aws-actions/configure-aws-credentials`'s `role-to-assume`. */
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: DeployStackProps) {
    super(scope, id, props);
    const provider =
      props.githubOidcProviderArn === undefined
        ? new iam.OidcProviderNative(this, 'GithubOidcProvider', {
            url: `https://${GITHUB_ISSUER}`,
            clientIds: ['sts.amazonaws.com'],
            // IAM no longer checks thumbprints for GitHub's issuer, but the resource requires one.
            thumbprints: ['6938fd4d98bab03faadb97b34396831e3780aea1'],
          })
        : iam.OidcProviderNative.fromOidcProviderArn(this, 'GithubOidcProvider', props.githubOidcProviderArn);

    this.role = new iam.Role(this, 'GithubDeployRole', {
      description: `GitHub Actions deploys of ${props.githubRepo} (main only)`,
      maxSessionDuration: Duration.hours(1),
      assumedBy: new iam.WebIdentityPrincipal(provider.oidcProviderArn, {
        StringEquals: {
          [`${GITHUB_ISSUER}:aud`]: 'sts.amazonaws.com',
          [`${GITHUB_ISSUER}:sub`]: `repo:${props.githubRepo}:ref:refs/heads/main`,
        },
      }),
    });
    const bootstrapRole = (kind: string): string =>
      `arn:${this.partition}:iam::${this.account}:role/cdk-${props.cdkQualifier}-${kind}-role-${this.account}-${this.region}`;
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'AssumeCdkBootstrapRoles',
        actions: ['sts:AssumeRole'],
        resources: [bootstrapRole('deploy'), bootstrapRole('file-publishing'), bootstrapRole('lookup')],
      }),
    );
    Validations.of(this.role).acknowledge({
      id: 'PCI.DSS.321-IAMNoInlinePolicy',
      reason: 'One statement (sts:AssumeRole on the three CDK bootstrap roles), owned by this role alone.',
    });
    new CfnOutput(this, 'GithubDeployRoleArn', {
      value: this.role.roleArn,
      description: 'Set as the AWS_DEPLOY_ROLE_ARN variable of the GitHub repository',
    });
  }
}
