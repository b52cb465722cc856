import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoEventClock } from '../../src/adapters/aws/DynamoEventClock.js';
import { emulatorClients, uniqueName } from './clients.js';
import { createTables } from './dynamoTables.js';

describe('DynamoEventClock on dynalite', () => {
  const c = emulatorClients();
  let tables: Awaited<ReturnType<typeof createTables>>;

  beforeAll(async () => {
    tables = await createTables(c.dynamoBase, uniqueName('clock'));
  });

  it('starts with no time, then only moves forward', async () => {
    // Prepare
    const clock = new DynamoEventClock({ client: c.dynamo, stateTable: tables.state });
    const before = await clock.latest();

    // Act
    await clock.advance(5_000);
    await clock.advance(3_000);
    await clock.advance(Number.NEGATIVE_INFINITY);
    const after = await clock.latest();

    // Assess
    expect(before).toBe(Number.NEGATIVE_INFINITY);
    expect(after).toBe(5_000);
  });

  it('ends at the latest of concurrent advances, whatever their order', async () => {
    // Prepare
    const clock = new DynamoEventClock({ client: c.dynamo, stateTable: tables.state });
    const times = [9_100, 9_700, 9_300, 9_900, 9_200, 9_800];

    // Act
    await Promise.all(times.map((t) => clock.advance(t)));

    // Assess
    expect(await clock.latest()).toBe(9_900);
  });
});
