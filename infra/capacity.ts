import { TABLES } from '../src/adapters/aws/tables.js';

/**
 * DynamoDB provisioned capacity with auto scaling (`-c capacity=provisioned`): the same for every
 * table and global index, each scaled on its own between the bounds, reads and writes apart.
 * Priced by `npm run cost` from the units a run consumes at the target utilisation, plus the
 * floor (`minUnits` of each, read and write, every hour).
 */
export const PROVISIONED_CAPACITY = {
  /** Auto scaling keeps consumed units near this share of the provisioned ones. @default 70 */
  targetUtilizationPercent: 70,
  /** Least units of each table and index, read and write: the monthly floor. @default 2 */
  minUnits: 2,
  /** Most read units of each table and index. @default 4000 */
  maxReadUnits: 4000,
  /** Most write units of each table and index. @default 4000 */
  maxWriteUnits: 4000,
  /** Tables and global indexes, each with capacity of its own. */
  tables: Object.values(TABLES).reduce((n, t) => n + 1 + ('globalIndexes' in t ? t.globalIndexes.length : 0), 0),
} as const;
