import {
  type AttributeDefinition,
  CreateTableCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TABLES, type TableDef, type TableName } from '../../src/adapters/aws/tables.js';

/** Physical table names, by logical name. */
export type TableNames = Record<TableName, string>;

/**
 * Creates every table of `TABLES` on the emulator under `<logical>-<suffix>` and returns the
 * names. Keys and the `alerts` index (all attributes projected) follow `TABLES` exactly; TTL
 * and streams are left out because dynalite has neither.
 * @example const tables = await createTables(emulatorClients().dynamo, uniqueName('decisions'));
 */
export async function createTables(
  client: DynamoDBClient | DynamoDBDocumentClient,
  suffix: string,
): Promise<TableNames> {
  const names = {} as TableNames;
  for (const [logical, def] of Object.entries(TABLES) as [TableName, TableDef][]) {
    const name = `${logical}-${suffix}`;
    // The document client passes non-document commands through unchanged.
    await (client as DynamoDBClient).send(new CreateTableCommand(tableInput(name, def)));
    names[logical] = name;
  }
  return names;
}

function tableInput(name: string, def: TableDef): CreateTableCommandInput {
  const attrs = new Map<string, AttributeDefinition>();
  const keyAttr = (k: { name: string; type: 'S' | 'N' }): void => {
    attrs.set(k.name, { AttributeName: k.name, AttributeType: k.type });
  };
  keyAttr(def.partitionKey);
  if (def.sortKey) keyAttr(def.sortKey);
  for (const g of def.globalIndexes ?? []) {
    keyAttr(g.partitionKey);
    if (g.sortKey) keyAttr(g.sortKey);
  }
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attrs.values()],
    KeySchema: [
      { AttributeName: def.partitionKey.name, KeyType: 'HASH' },
      ...(def.sortKey ? [{ AttributeName: def.sortKey.name, KeyType: 'RANGE' as const }] : []),
    ],
    ...(def.globalIndexes
      ? {
          GlobalSecondaryIndexes: def.globalIndexes.map((g) => ({
            IndexName: g.name,
            KeySchema: [
              { AttributeName: g.partitionKey.name, KeyType: 'HASH' as const },
              ...(g.sortKey ? [{ AttributeName: g.sortKey.name, KeyType: 'RANGE' as const }] : []),
            ],
            Projection: { ProjectionType: 'ALL' as const },
          })),
        }
      : {}),
  };
}
