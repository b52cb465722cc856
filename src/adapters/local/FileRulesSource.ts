import {
  closeSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  unwatchFile,
  watchFile,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { RulesError } from '../../core/errors.js';
import { compileRuleSet, type RuleSet, type RulesDocument } from '../../core/rules.js';
import type { Logger } from '../../ports/Logger.js';

/**
 * Reads and compiles a rules file; throws {@link RulesError} naming the file and the path of the
 * problem (and, for an expression, the rule, the column and a caret).
 */
export function loadRulesFile(path: string): RuleSet {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new RulesError('', `cannot read it: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, path);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new RulesError('', `is not valid JSON: ${(e as Error).message}`, path);
  }
  return compileRuleSet(doc, { file: path });
}

/**
 * The rule set from a file, reloaded when the file changes. An invalid new version is refused
 * (and logged); the previous set stays in force. {@link replace} validates a new document, writes
 * it to the file atomically and activates it.
 *
 * @example
 * const rules = new FileRulesSource('rules/default.json', logger);
 * rules.watch();
 * rules.replace({ version: 'v2', rules: [...] }); // throws RulesError when invalid; nothing changes
 */
export class FileRulesSource {
  private set: RuleSet;
  private watching = false;

  constructor(
    readonly path: string,
    private readonly logger: Logger,
  ) {
    this.set = loadRulesFile(path);
  }

  /** The rule set in force. */
  current(): RuleSet {
    return this.set;
  }

  /** The document of the rule set in force (as it was read or written). */
  document(): RulesDocument {
    return this.set.document;
  }

  /**
   * Validates `doc`, writes it to the rules file atomically (a temporary file in the same folder,
   * flushed, then renamed over the old one) and activates it. An invalid document throws
   * {@link RulesError} and changes nothing, neither the file nor the set in force.
   */
  replace(doc: unknown): RuleSet {
    const next = compileRuleSet(doc);
    writeAtomically(this.path, `${JSON.stringify(next.document, null, 2)}\n`);
    const previous = this.set.version;
    this.set = next;
    this.logger.info(`rules replaced: ${previous} -> ${next.version}`);
    return next;
  }

  /** Starts polling the file for changes (every `intervalMs`). */
  watch(intervalMs = 1000): void {
    if (this.watching) return;
    this.watching = true;
    watchFile(this.path, { interval: intervalMs, persistent: false }, (now, prev) => {
      if (now.mtimeMs !== prev.mtimeMs || now.size !== prev.size) this.reload();
    });
  }

  /** Reloads now; returns true when the file held a valid set (now in force). */
  reload(): boolean {
    try {
      statSync(this.path);
      const next = loadRulesFile(this.path);
      if (next.version !== this.set.version) {
        this.logger.info(`rules reloaded: ${this.set.version} -> ${next.version}`);
      }
      this.set = next;
      return true;
    } catch (e) {
      this.logger.error(`rules file ${this.path} not reloaded, keeping ${this.set.version}: ${(e as Error).message}`);
      return false;
    }
  }

  close(): void {
    if (this.watching) unwatchFile(this.path);
    this.watching = false;
  }
}

/** Replaces a file's content all at once: readers see the old content or the new, never half. */
function writeAtomically(path: string, text: string): void {
  let mode = 0o644;
  try {
    mode = statSync(path).mode & 0o777;
  } catch {
    // A new file: the default mode.
  }
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const fd = openSync(tmp, 'w', mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (e) {
    unlinkSync(tmp);
    throw e;
  }
}
