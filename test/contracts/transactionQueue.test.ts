import { SqsTransactionQueue } from '../../src/adapters/aws/SqsTransactionQueue.js';
import { decodeMessage } from '../../src/adapters/aws/queueMessages.js';
import { createQueue, drainQueue, emulatorClients, uniqueName } from '../aws/clients.js';
import { InMemoryTransactionQueue } from '../fakes/InMemoryTransactionQueue.js';
import { describeTransactionQueueContract } from './transactionQueueContract.js';

describeTransactionQueueContract('in-memory fake', async () => {
  const queue = new InMemoryTransactionQueue();
  return { queue, received: async () => queue.items() };
});

describeTransactionQueueContract('SqsTransactionQueue on fauxqs', async () => {
  const sqs = emulatorClients().sqs;
  const url = await createQueue(sqs, uniqueName('contract'));
  return {
    // Small messages, so 250 items take several.
    queue: new SqsTransactionQueue(sqs, url, { maxMessageBytes: 16 * 1024 }),
    received: async () => (await drainQueue(sqs, url)).flatMap(decodeMessage),
  };
});
