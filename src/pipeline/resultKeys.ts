import type { ObjectStore } from '../ports/ObjectStore.js';
import { UnreadableObjectError } from '../ports/ObjectStore.js';

/** Where one file's results go: its masked copy and its receipt. */
export interface ResultKeys {
  copy: string;
  receipt: string;
}

/** Names tried for one file's results before giving up. */
const MAX_RESULT_NAMES = 1000;

/**
 * The keys of a file's results in `folder`: `processed/tx.csv` and `processed/tx.receipt.json`,
 * or, when anything else holds either name, `tx.<tag>`, then `tx.<tag>-2`, ...: a result is never
 * overwritten. A pair is this file's own when `ours` accepts its receipt, so finishing again after
 * a crash finds the names it chose; write the receipt first to claim them. The tag is not assumed
 * free: a user's file may itself be called `tx.<tag>.csv`, and an uploader chooses the content an
 * S3 ETag is derived from.
 * @example await resultKeys(objects, 'processed', 'tx.csv', '14', (r) => r.file_id === 14) // { copy: 'processed/tx.csv', receipt: 'processed/tx.receipt.json' } when both are free
 */
export async function resultKeys(
  objects: ObjectStore,
  folder: 'processed' | 'failed',
  name: string,
  tag: string,
  ours: (receipt: Record<string, unknown>) => boolean,
): Promise<ResultKeys> {
  const dot = name.lastIndexOf('.');
  const stem = dot > 0 ? name.slice(0, dot) : name;
  const ext = dot > 0 ? name.slice(dot) : '';
  for (let i = 0; i < MAX_RESULT_NAMES; i++) {
    const base = i === 0 ? stem : i === 1 ? `${stem}.${tag}` : `${stem}.${tag}-${i}`;
    const keys = { copy: `${folder}/${base}${ext}`, receipt: `${folder}/${base}.receipt.json` };
    if (await objects.exists(keys.receipt)) {
      const existing = await readJson(objects, keys.receipt);
      if (existing !== null && typeof existing === 'object' && ours(existing as Record<string, unknown>)) return keys;
    } else if (!(await objects.exists(keys.copy))) {
      return keys;
    }
  }
  throw new Error(`${folder}/ holds ${MAX_RESULT_NAMES} results named like ${name}: move some away`);
}

/** An object's JSON, or undefined when it is not JSON or cannot be read as a file. */
async function readJson(objects: ObjectStore, key: string): Promise<unknown> {
  let text = '';
  try {
    for await (const chunk of objects.read(key)) text += chunk.toString('utf8');
    return JSON.parse(text);
  } catch (e) {
    if (e instanceof SyntaxError || e instanceof UnreadableObjectError) return undefined;
    throw e;
  }
}
