/** Who made an admin request: the credential, by a name that is safe to store and show, and from where. */
export interface AdminCaller {
  /**
   * `admin-key sha256:<first 8 hex digits of the key's SHA-256>` for the local admin key, or
   * `iam <ARN>` for the IAM identity API Gateway checked. Never the key itself.
   */
  credential: string;
  /** Remote address of the request. */
  remote: string;
}

/** Who changes the rules when the rules file is edited rather than replaced over HTTP. */
export const RULES_FILE_CREDENTIAL = 'rules file';

/** One change of the rules in force, as the audit log keeps it. */
export interface RulesChange {
  /** When it took effect (ISO 8601). */
  at: string;
  /** {@link AdminCaller.credential}, or {@link RULES_FILE_CREDENTIAL} for an edit of the file. */
  credential: string;
  /** Remote address of the request; null for an edit of the file. */
  remote: string | null;
  /** The version in force before; null for the first entry. */
  previousVersion: string | null;
  version: string;
  /**
   * SHA-256 (hex) of the new document: of the rules file's bytes locally (what `sha256sum` gives),
   * of the document's canonical JSON on AWS. A version is a name its author chose; this says
   * which document it was.
   */
  digest: string;
}
