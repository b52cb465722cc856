import { beforeAll, describe, expect, test } from 'vitest';
import { glueType, LAKE_COLUMNS } from '../../src/adapters/aws/lakeSchema.js';
import { LAKE_PARQUET_SCHEMA } from '../../src/adapters/aws/lakeFiles.js';
import {
  actionsOf,
  identityStatements,
  resourcesOf,
  synthApp,
  templateOf,
  unacknowledgedFindings,
  type CfnTemplate,
  type SynthResult,
} from './helpers/synth.js';

const STACK = 'Fraudmini-dev-Pipeline';
let result: SynthResult;
let json: CfnTemplate;

// Synthesis (the whole app with cdk-nag) takes a while on a busy machine; no timing is asserted.
beforeAll(() => {
  result = synthApp({ apiMode: 'store' });
  json = templateOf(result, STACK);
}, 300_000);

const only = <T>(list: T[]): T => {
  expect(list).toHaveLength(1);
  return list[0] as T;
};

/** What the Parquet writer declares for each column, as the Glue type it must match. */
function writerGlueType(name: string): string {
  const e = LAKE_PARQUET_SCHEMA.find((s) => s.name === name);
  if (!e) throw new Error(`the writer has no column ${name}`);
  if (e.converted_type === 'DECIMAL') return `decimal(${String(e.precision)},${String(e.scale)})`;
  if (e.converted_type === 'TIMESTAMP_MILLIS') return 'timestamp';
  if (e.converted_type === 'UTF8') return 'string';
  return ({ DOUBLE: 'double', INT32: 'int' } as Record<string, string>)[e.type ?? ''] ?? `unmapped ${String(e.type)}`;
}

describe('decision lake: Glue and Athena', () => {
  test('the Glue table has the writer’s columns, in order, with matching types, partitioned by date by projection', () => {
    // Prepare
    const [, table] = only(resourcesOf(json, 'AWS::Glue::Table'));
    const input = table.Properties?.TableInput as {
      TableType: string;
      PartitionKeys: { Name: string; Type: string }[];
      Parameters: Record<string, unknown>;
      StorageDescriptor: { Columns: { Name: string; Type: string }[]; SerdeInfo: { SerializationLibrary: string }; Location: unknown };
    };
    const columns = input.StorageDescriptor.Columns.map((c) => [c.Name, c.Type]);

    // Assess
    expect(columns).toEqual(LAKE_COLUMNS.map((c) => [c.name, glueType(c.kind)]));
    expect(columns).toEqual(LAKE_PARQUET_SCHEMA.slice(1).map((e) => [e.name, writerGlueType(e.name)]));
    expect(input.PartitionKeys).toEqual([expect.objectContaining({ Name: 'date', Type: 'string' })]);
    expect(input.StorageDescriptor.SerdeInfo.SerializationLibrary).toContain('ParquetHiveSerDe');
    expect(input.Parameters).toMatchObject({
      'projection.enabled': 'true',
      'projection.date.type': 'date',
      'projection.date.format': 'yyyy-MM-dd',
    });
    expect(JSON.stringify(input.Parameters['storage.location.template'])).toContain('/lake/decisions/date=${date}/');
    expect(JSON.stringify(input.StorageDescriptor.Location)).toContain('/lake/decisions/');
    expect(resourcesOf(json, 'AWS::Glue::Crawler')).toEqual([]);
    only(resourcesOf(json, 'AWS::Glue::Database'));
  });

  test('the Athena workgroup enforces its settings and encrypts results with the data key', () => {
    // Prepare
    const [, wg] = only(resourcesOf(json, 'AWS::Athena::WorkGroup'));
    const config = wg.Properties?.WorkGroupConfiguration as {
      EnforceWorkGroupConfiguration: boolean;
      BytesScannedCutoffPerQuery: number;
      ResultConfiguration: { OutputLocation: unknown; EncryptionConfiguration: { EncryptionOption: string; KmsKey: unknown } };
    };

    // Assess
    expect(config.EnforceWorkGroupConfiguration).toBe(true);
    expect(config.BytesScannedCutoffPerQuery).toBeGreaterThan(0);
    expect(config.ResultConfiguration.EncryptionConfiguration.EncryptionOption).toBe('SSE_KMS');
    expect(JSON.stringify(config.ResultConfiguration.EncryptionConfiguration.KmsKey)).toContain('DataKey');
    expect(JSON.stringify(config.ResultConfiguration.OutputLocation)).toContain('/athena-results/');
  });

  test('only the batch scoring functions may write the lake, and only under lake/decisions/', () => {
    // Prepare
    const writers = identityStatements(json).filter(({ statement }) =>
      JSON.stringify(statement.Resource ?? '').includes('/lake/decisions/'),
    );

    // Assess: score, stream (Kinesis) and table-stream; not the API, ingest or notify
    expect(writers.map((w) => w.logicalId.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual([
      'KinesisScoringStreamRoleDefaultPolicy',
      'ScoringScoreRoleDefaultPolicy',
      'TableStreamScoringTableStreamRoleDefaultPolicy',
    ]);
    for (const { statement } of writers) {
      expect(actionsOf(statement)).toEqual(['s3:PutObject']);
      expect([statement.Resource].flat()).toHaveLength(1);
    }
  });

  test('cdk-nag finds nothing unacknowledged', () => {
    expect(unacknowledgedFindings(result)).toEqual([]);
  });
});
