/** One rules document kept in the history of rule sets. */
export interface RulesVersionRecord {
  /** Increasing id, in the order the documents were first seen. */
  id: number;
  /** The version the document names. */
  version: string;
  /** SHA-256 (hex) of the document's JSON: two documents with one version name are told apart by it. */
  digest: string;
  /** When it was first seen in force or published (ISO 8601). */
  savedAt: string;
}

/**
 * Every rules document that has been in force, kept whole so that any earlier one can be put back
 * in force (the local database; documents are only ever added).
 *
 * @example
 * const id = await history.remember({ version: 'v2', digest, document, savedAt: new Date().toISOString() });
 * const { document } = (await history.find(id)) ?? {};
 */
export interface RulesHistory {
  /** Keeps a document unless one with its digest is kept; returns the id of the kept one. */
  remember(entry: Omit<RulesVersionRecord, 'id'> & { document: unknown }): Promise<number>;
  /** The newest `limit` documents kept, newest first, without their content. */
  versions(limit: number): Promise<RulesVersionRecord[]>;
  /** A kept document with its record, or undefined. */
  find(id: number): Promise<(RulesVersionRecord & { document: unknown }) | undefined>;
}
