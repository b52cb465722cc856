import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { afterAll } from 'vitest';
import { S3ObjectStore } from '../../src/adapters/aws/S3ObjectStore.js';
import { FolderObjectStore } from '../../src/adapters/local/FolderObjectStore.js';
import { emulatorClients, uniqueName } from '../aws/clients.js';
import { InMemoryObjectStore } from '../fakes/InMemoryObjectStore.js';
import { tempDir } from '../helpers/fixtures.js';
import { describeObjectStoreContract } from './objectStoreContract.js';

const cleanups: (() => void)[] = [];
afterAll(() => {
  for (const c of cleanups) c();
});

describeObjectStoreContract('in-memory fake', async () => new InMemoryObjectStore());

describeObjectStoreContract('FolderObjectStore', async () => {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return new FolderObjectStore({ root: t.dir });
});

describeObjectStoreContract('S3ObjectStore on fauxqs', async () => {
  const s3 = emulatorClients().s3;
  const bucket = uniqueName('contract');
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return new S3ObjectStore(s3, bucket);
});
