import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { StoredChallenger } from '../app/shadowPromote.js';
import type { Challenger } from '../app/shadowScoring.js';

/** Where the challenger's files are kept in the data dir. */
export const SHADOW_DIR = 'shadow';
/** The manifest of the challenger last started, read by `fraudmini promote`. */
export const SHADOW_MANIFEST = 'shadow.json';

/** The challenger last started on a data dir, as `fraudmini promote` finds it. */
export interface ShadowFiles {
  /** When it was started (ISO 8601). */
  startedAt: string;
  /** The rules file in force when it was started: the one a promotion replaces. */
  rulesInForce: string;
  /** The challenger's rules, copied into the data dir, and their version. */
  rules: { path: string; version: string } | null;
  /** The challenger's model, copied into the data dir, and its version. */
  model: { path: string; version: string } | null;
}

/**
 * Copies the challenger's files into `<dataDir>/shadow/` (0600, written whole then renamed) and
 * records them in its manifest. A promotion then installs exactly what ran in shadow, even if the
 * files given to `start` were edited or removed since.
 */
export function installShadow(
  dataDir: string,
  given: { rulesPath?: string; modelPath?: string; rulesInForce: string; challenger: Challenger },
): ShadowFiles {
  const dir = join(dataDir, SHADOW_DIR);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const copy = (from: string, name: string): string => {
    const to = join(dir, name);
    writeWhole(to, readFileSync(resolve(from)));
    return to;
  };
  const files: ShadowFiles = {
    startedAt: new Date().toISOString(),
    rulesInForce: given.rulesInForce,
    rules:
      given.rulesPath !== undefined && given.challenger.rules
        ? { path: copy(given.rulesPath, 'rules.json'), version: given.challenger.rules.version }
        : null,
    model:
      given.modelPath !== undefined && given.challenger.model
        ? { path: copy(given.modelPath, 'model.json'), version: given.challenger.model.version }
        : null,
  };
  writeWhole(join(dir, SHADOW_MANIFEST), `${JSON.stringify(files, null, 2)}\n`);
  return files;
}

/** The challenger last started on `dataDir`, or undefined when none ever was. */
export function readShadowFiles(dataDir: string): ShadowFiles | undefined {
  const path = join(dataDir, SHADOW_DIR, SHADOW_MANIFEST);
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, 'utf8')) as ShadowFiles;
}

/**
 * The challenger last started on `dataDir`, for its promotion: its rules read from the copy that
 * ran, its model installed by copying that copy to `modelTo` (written whole). Undefined when none
 * ever was.
 */
export function storedChallenger(dataDir: string, modelTo: string): StoredChallenger | undefined {
  const files = readShadowFiles(dataDir);
  if (!files) return undefined;
  const { rules, model } = files;
  return {
    startedAt: files.startedAt,
    rules: rules && { version: rules.version, document: async () => JSON.parse(readFileSync(rules.path, 'utf8')) as unknown },
    model: model && {
      version: model.version,
      install: async () => {
        writeWhole(modelTo, readFileSync(model.path));
        return modelTo;
      },
    },
  };
}

/** Writes a file under a temporary name and renames it, so a reader never sees half of it. */
export function writeWhole(path: string, data: string | Buffer): void {
  const part = `${path}.part`;
  writeFileSync(part, data, { mode: 0o600 });
  renameSync(part, path);
}
