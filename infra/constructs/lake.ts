import { Stack } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { glueType, LAKE_COLUMNS, LAKE_PARTITION, LAKE_PREFIX } from '../../src/adapters/aws/lakeSchema.js';

/** The key prefix of Athena's query results in the refined bucket. */
export const ATHENA_RESULTS_PREFIX = 'athena-results/';

/** The first day the partition projection covers. */
export const LAKE_FIRST_DAY = '2020-01-01';

export interface DecisionLakeProps {
  /** The refined bucket: the lake's objects under `lake/decisions/`, query results under `athena-results/`. */
  refinedBucket: s3.IBucket;
  /** Encrypts the query results (the bucket's own key). */
  dataKey: kms.IKey;
  /**
   * Most bytes one query may scan before Athena cancels it, a guard against an unfiltered scan.
   * @default 10 GiB
   */
  bytesScannedCutoffPerQuery?: number;
}

/**
 * The decision lake's catalogue: a Glue database and a `decisions` table over the Parquet
 * objects the scoring functions write, with partition projection on `date` (Athena computes the
 * partitions from the key template, so no crawler and no `MSCK REPAIR` is needed), and an
 * Athena workgroup whose results are encrypted with the data key and whose settings clients
 * cannot override.
 */
export class DecisionLake extends Construct {
  readonly database: glue.CfnDatabase;
  readonly table: glue.CfnTable;
  readonly workgroup: athena.CfnWorkGroup;
  /** The Glue database's name (Glue needs one; it is derived from the stack's name). */
  readonly databaseName: string;
  /** The table's name. */
  readonly tableName = 'decisions';

  constructor(scope: Construct, id: string, props: DecisionLakeProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.databaseName = `${stack.stackName.toLowerCase().replace(/[^a-z0-9]+/g, '_')}_lake`;
    const location = `s3://${props.refinedBucket.bucketName}/${LAKE_PREFIX}`;

    this.database = new glue.CfnDatabase(this, 'Database', {
      catalogId: stack.account,
      databaseInput: { name: this.databaseName, description: 'fraudmini decision lake' },
    });
    this.table = new glue.CfnTable(this, 'DecisionsTable', {
      catalogId: stack.account,
      databaseName: this.databaseName,
      tableInput: {
        name: this.tableName,
        description: 'Every scored transaction (masked card only) and its decision, one Parquet object per scored batch and day',
        tableType: 'EXTERNAL_TABLE',
        partitionKeys: [{ name: LAKE_PARTITION, type: 'string', comment: 'UTC day of the transaction, YYYY-MM-DD' }],
        parameters: {
          classification: 'parquet',
          'parquet.compression': 'SNAPPY',
          'projection.enabled': 'true',
          [`projection.${LAKE_PARTITION}.type`]: 'date',
          [`projection.${LAKE_PARTITION}.format`]: 'yyyy-MM-dd',
          [`projection.${LAKE_PARTITION}.range`]: `${LAKE_FIRST_DAY},NOW`,
          [`projection.${LAKE_PARTITION}.interval`]: '1',
          [`projection.${LAKE_PARTITION}.interval.unit`]: 'DAYS',
          'storage.location.template': `${location}${LAKE_PARTITION}=\${${LAKE_PARTITION}}/`,
        },
        storageDescriptor: {
          location,
          columns: LAKE_COLUMNS.map((c) => ({ name: c.name, type: glueType(c.kind), comment: c.doc })),
          inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
          serdeInfo: { serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
        },
      },
    });
    this.table.addResourceDependency(this.database);

    this.workgroup = new athena.CfnWorkGroup(this, 'Workgroup', {
      name: `${this.databaseName}_queries`,
      description: 'Queries over the fraudmini decision lake; results encrypted with the data key',
      state: 'ENABLED',
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: props.bytesScannedCutoffPerQuery ?? 10 * 1024 ** 3,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: `s3://${props.refinedBucket.bucketName}/${ATHENA_RESULTS_PREFIX}`,
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: props.dataKey.keyArn },
        },
      },
    });
  }
}
