/**
 * Vitest global setup: starts the AWS emulators once per run, in process, on free ports, and
 * hands their endpoints to tests (`inject('aws')`). They speak the real wire protocols, so the
 * adapters under test use the real AWS SDK v3 clients: fauxqs for S3, SQS and SNS, dynalite
 * for DynamoDB, kinesalite for Kinesis. No Docker.
 */
import type { AddressInfo, Server } from 'node:net';
import { createRequire } from 'node:module';
import { startFauxqs } from 'fauxqs';
import type { TestProject } from 'vitest/node';

export interface AwsEndpoints {
  /** S3, SQS and SNS (fauxqs). */
  fauxqs: string;
  /** DynamoDB (dynalite). */
  dynamodb: string;
  /** Kinesis (kinesalite). */
  kinesis: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    aws: AwsEndpoints;
  }
}

const require = createRequire(import.meta.url);

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

/** Starts the three emulators on free ports; `stop` shuts them down. */
export async function startEmulators(): Promise<{ endpoints: AwsEndpoints; stop: () => Promise<void> }> {
  const faux = await startFauxqs({ port: 0, logger: false });
  const dynalite = require('dynalite') as (o: Record<string, number>) => Server;
  const kinesalite = require('kinesalite') as (o: Record<string, number>) => Server;
  const ddb = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const kin = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 100 });
  const endpoints: AwsEndpoints = {
    fauxqs: faux.address,
    dynamodb: await listen(ddb),
    kinesis: await listen(kin),
  };
  const stop = async (): Promise<void> => {
    await faux.stop();
    await new Promise<void>((resolve) => ddb.close(() => resolve()));
    await new Promise<void>((resolve) => kin.close(() => resolve()));
  };
  return { endpoints, stop };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { endpoints, stop } = await startEmulators();
  project.provide('aws', endpoints);
  return stop;
}
