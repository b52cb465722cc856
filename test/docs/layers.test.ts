import { join } from 'node:path';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');

/**
 * The project's ESLint configuration, without the type-aware rules: the files linted here exist
 * only as text, outside the TypeScript project.
 */
const eslint = new ESLint({ cwd: ROOT, overrideConfig: [tseslint.configs.disableTypeChecked] });

/** The layering messages ESLint gives `code` as if it were the file `path` under the repository. */
async function layeringErrors(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, path) });
  const messages = result?.messages ?? [];
  expect(messages.filter((m) => m.fatal === true)).toEqual([]);
  return messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layering (eslint.config.js)', () => {
  it.each([
    ['src/core/x.ts', "export { buildServer } from '../server/buildServer.js';", 'src/core may import only from core'],
    ['src/core/expr/x.ts', "export type { FileLedger } from '../../ports/FileLedger.js';", 'src/core may import only from core'],
    ['src/core/x.ts', "export { readFileSync } from 'node:fs';", 'src/core stays pure'],
    ['src/ports/x.ts', "export { processFile } from '../app/processFile.js';", 'src/ports may import only from core, ports'],
    ['src/ports/x.ts', "export { DynamoDBClient } from '@aws-sdk/client-dynamodb';", 'src/ports stays pure'],
    ['src/adapters/local/x.ts', "export { processFile } from '../../app/processFile.js';", 'src/adapters may import only'],
    ['src/adapters/aws/x.ts', "export { buildServer } from '../../server/buildServer.js';", 'src/adapters may import only'],
    ['src/server/x.ts', "export { createLocalRuntime } from '../local/wiring.js';", 'src/server may import only'],
    ['src/handlers/x.ts', "export { createLocalRuntime } from '../local/wiring.js';", 'src/handlers may import only'],
    ['src/local/x.ts', "export { handler } from '../handlers/score.js';", 'src/local may import only'],
    ['src/cli/x.ts', "export { handler } from '../handlers/score.js';", 'src/cli may import only'],
  ])('refuses in %s: %s', async (path, code, message) => {
    // Act
    const errors = await layeringErrors(path, code);

    // Assess
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(message);
  });

  it.each([
    ['src/core/expr/x.ts', "export { parseDecimal } from '../decimal.js';"],
    ['src/ports/x.ts', "export type { Transaction } from '../core/transaction.js';"],
    ['src/adapters/aws/x.ts', "export { maskPansInText } from '../../core/pan.js';"],
    ['src/adapters/aws/x.ts', "export { FolderObjectStore } from '../local/FolderObjectStore.js';"],
    ['src/local/x.ts', "export { buildServer } from '../server/buildServer.js';"],
    ['src/cli/x.ts', "export { createLocalRuntime } from '../local/wiring.js';"],
  ])('allows in %s: %s', async (path, code) => {
    // Act
    const errors = await layeringErrors(path, code);

    // Assess
    expect(errors).toEqual([]);
  });
});
