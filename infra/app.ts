/**
 * CDK entry point (`cdk.json` bundles this file with esbuild and runs it). The only place the
 * infrastructure reads the environment: the CLI's default account and region, so stacks are
 * environment-agnostic when they are unset (offline synth).
 */
import { buildFraudminiApp } from './fraudminiApp.js';

const account = process.env.CDK_DEFAULT_ACCOUNT;
const region = process.env.CDK_DEFAULT_REGION;
const { app } = buildFraudminiApp({}, account !== undefined && region !== undefined ? { account, region } : undefined);
app.synth();
