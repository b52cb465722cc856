import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoTransactionLog } from '../../src/adapters/aws/DynamoTransactionLog.js';
import { makeTx } from '../helpers/transactions.js';
import { emulatorClients, uniqueName } from './clients.js';
import { createTables, type TableNames } from './dynamoTables.js';

describe('DynamoTransactionLog', () => {
  const clients = emulatorClients();
  let tables: TableNames;

  beforeAll(async () => {
    tables = await createTables(clients.dynamo, uniqueName('txlog'));
  });

  it('stores a transaction once: the first put is new, a repeat is not and does not overwrite', async () => {
    // Prepare
    const log = new DynamoTransactionLog({ client: clients.dynamo, transactionsTable: tables.transactions, now: () => 0 });
    const tx = makeTx({
      transactionId: 'tl-1',
      card: { token: 'tok-1', masked: '411111******1111', bin: '411111', last4: '1111' },
      attributes: { note: '' },
    });
    // Act
    const first = await log.putTransaction(tx);
    const second = await log.putTransaction({ ...tx, amount: 1 });
    // Assess
    expect(first).toBe(true);
    expect(second).toBe(false);
    const got = await clients.dynamo.send(new GetCommand({ TableName: tables.transactions, Key: { id: 'tl-1' } }));
    expect(got.Item).toEqual({ id: 'tl-1', tx, storedAt: '1970-01-01T00:00:00.000Z' });
  });
});
