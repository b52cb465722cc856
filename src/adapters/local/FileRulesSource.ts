import { readFileSync, statSync, unwatchFile, watchFile } from 'node:fs';
import { RulesError } from '../../core/errors.js';
import { compileRuleSet, type RuleSet } from '../../core/rules.js';
import type { Logger } from '../../ports/Logger.js';

/** Reads and compiles a rules file; throws {@link RulesError} with the path of the problem. */
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
  try {
    return compileRuleSet(doc);
  } catch (e) {
    if (e instanceof RulesError) throw new RulesError(e.path, e.reason, path);
    throw e;
  }
}

/**
 * The rule set from a file, reloaded when the file changes. An invalid new version is refused
 * (and logged); the previous set stays in force.
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

  /** Starts polling the file for changes (every `intervalMs`). */
  watch(intervalMs = 1000): void {
    if (this.watching) return;
    this.watching = true;
    watchFile(this.path, { interval: intervalMs, persistent: false }, (now, prev) => {
      if (now.mtimeMs !== prev.mtimeMs || now.size !== prev.size) this.reload();
    });
  }

  /** Reloads now; returns true when a new set was activated. */
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
