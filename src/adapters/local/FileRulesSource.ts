import { createHash } from 'node:crypto';
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
import { type AdminCaller, RULES_FILE_CREDENTIAL, type RulesChange } from '../../core/rulesChange.js';
import type { RulesAuditLog } from '../../ports/RulesAuditLog.js';
import type { RulesStore } from '../../ports/RulesStore.js';

/**
 * Reads and compiles a rules file; throws {@link RulesError} naming the file and the path of the
 * problem (and, for an expression, the rule, the column and a caret).
 */
export function loadRulesFile(path: string): RuleSet {
  return readRulesFile(path).set;
}

/** {@link loadRulesFile}, with the SHA-256 of the bytes it compiled. */
function readRulesFile(path: string): { set: RuleSet; digest: string } {
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
  return { set: compileRuleSet(doc, { file: path }), digest: sha256(text) };
}

/** Options of {@link FileRulesSource}. */
export interface FileRulesSourceOptions {
  /**
   * Where every change of the set in force is recorded: each {@link FileRulesSource.replace}
   * with its caller, each edit of the file found by a reload or at start (as {@link RULES_FILE_CREDENTIAL}).
   * @default no audit log
   */
  audit?: RulesAuditLog;
  /** Clock of the audit entries. @default Date.now */
  now?: () => number;
}

/**
 * The rule set from a file, reloaded when the file changes: the local {@link RulesStore}. An
 * invalid new version is refused (and logged); the previous set stays in force. {@link replace}
 * (and {@link activate}) validates a new document, writes it to the file atomically and activates
 * it. With an audit log, every change of the set in force is recorded there: replacements with
 * their caller, edits of the file as such. A version may be reused for another document: the
 * audit log tells them apart by digest.
 *
 * @example
 * const rules = new FileRulesSource('var/rules.json', logger, { audit: state });
 * rules.watch();
 * // throws RulesError when invalid; nothing changes
 * rules.replace({ version: 'v2', rules: [...] }, { credential: 'admin-key sha256:1a2b3c4d', remote: '127.0.0.1' });
 */
export class FileRulesSource implements RulesStore {
  private set: RuleSet;
  /** SHA-256 of the file content the set in force came from. */
  private digest: string;
  private watching = false;
  private readonly audit: RulesAuditLog | undefined;
  private readonly now: () => number;

  /**
   * Loads the file. With an audit log, a file whose content is not the last one recorded (the
   * first start, or an edit while fraudmini was stopped) is recorded as a change of the file.
   */
  constructor(
    readonly path: string,
    private readonly logger: Logger,
    options: FileRulesSourceOptions = {},
  ) {
    this.audit = options.audit;
    this.now = options.now ?? Date.now;
    ({ set: this.set, digest: this.digest } = readRulesFile(path));
    const last = this.audit?.rulesChanges(1)[0];
    if (this.audit && last?.digest !== this.digest) {
      this.record(last?.version ?? null, this.set.version, this.digest, undefined);
    }
  }

  /** The rule set in force. */
  current(): RuleSet {
    return this.set;
  }

  /** The document of the rule set in force (as it was read or written). */
  document(): RulesDocument {
    return this.set.document;
  }

  /** The version and document in force: a rules file always has one. */
  async active(): Promise<{ version: string; document: unknown }> {
    return { version: this.set.version, document: this.set.document };
  }

  /**
   * {@link replace} for a document whose version the caller read from it (`compileRuleSet`).
   * Throws {@link RulesError} when the document is invalid or names another version.
   */
  async activate(version: string, document: unknown, by: AdminCaller): Promise<void> {
    const next = compileRuleSet(document);
    if (next.version !== version) {
      throw new RulesError('version', `is ${JSON.stringify(next.version)}, not the version activated (${JSON.stringify(version)})`);
    }
    this.install(next, by);
  }

  /**
   * Validates `doc`, writes it to the rules file atomically (a temporary file in the same folder,
   * flushed, then renamed over the old one), records the change with `by` in the audit log and
   * activates it. An invalid document throws {@link RulesError} and changes nothing, neither the
   * file nor the set in force; so does a change the audit log cannot store (the file is put back).
   */
  replace(doc: unknown, by?: AdminCaller): RuleSet {
    return this.install(compileRuleSet(doc), by);
  }

  /** Writes a compiled set's document to the file, records the change and activates it. */
  private install(next: RuleSet, by: AdminCaller | undefined): RuleSet {
    const text = `${JSON.stringify(next.document, null, 2)}\n`;
    const digest = sha256(text);
    const previousText = this.audit ? readFileSync(this.path) : undefined;
    writeAtomically(this.path, text);
    try {
      this.record(this.set.version, next.version, digest, by);
    } catch (e) {
      if (previousText !== undefined) writeAtomically(this.path, previousText);
      throw e;
    }
    const previous = this.set.version;
    this.set = next;
    this.digest = digest;
    this.logger.info(`rules replaced: ${previous} -> ${next.version}${by ? ` by ${by.credential} from ${by.remote}` : ''}`);
    return next;
  }

  /** The newest `limit` entries of the audit log, newest first (none without an audit log). */
  async changes(limit: number): Promise<RulesChange[]> {
    return this.audit?.rulesChanges(limit) ?? [];
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
      const { set: next, digest } = readRulesFile(this.path);
      if (next.version !== this.set.version) {
        this.logger.info(`rules reloaded: ${this.set.version} -> ${next.version}`);
      }
      // Its own writes come back here through the watcher: only another content is a change.
      if (digest !== this.digest) this.record(this.set.version, next.version, digest, undefined);
      this.set = next;
      this.digest = digest;
      return true;
    } catch (e) {
      this.logger.error(`rules file ${this.path} not reloaded, keeping ${this.set.version}: ${(e as Error).message}`);
      return false;
    }
  }

  /** Adds an entry to the audit log, if there is one; `by` undefined: an edit of the file. */
  private record(previousVersion: string | null, version: string, digest: string, by: AdminCaller | undefined): void {
    this.audit?.recordRulesChange({
      at: new Date(this.now()).toISOString(),
      credential: by?.credential ?? RULES_FILE_CREDENTIAL,
      remote: by?.remote ?? null,
      previousVersion,
      version,
      digest,
    });
  }

  close(): void {
    if (this.watching) unwatchFile(this.path);
    this.watching = false;
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Replaces a file's content all at once: readers see the old content or the new, never half. */
function writeAtomically(path: string, text: string | Buffer): void {
  // The file keeps its mode; a new one is readable by its owner only (see docs/security-files.md).
  let mode = 0o600;
  try {
    mode = statSync(path).mode & 0o777;
  } catch {
    // A new file: the default mode.
  }
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const fd = openSync(tmp, 'w', mode);
  try {
    writeSync(fd, typeof text === 'string' ? Buffer.from(text, 'utf8') : text);
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
