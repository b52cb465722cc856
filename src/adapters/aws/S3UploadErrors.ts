import { FraudminiError } from '../../core/errors.js';
import { maskPansInText } from '../../core/pan.js';

/**
 * An upload to S3 failed. The message names the file (card-number-shaped text masked), the
 * destination and S3's reason, so a person can act on it; the SDK error stays in `cause`.
 */
export class UploadError extends FraudminiError {
  constructor(
    readonly file: string,
    readonly destination: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot upload ${maskPansInText(file)} to ${maskPansInText(destination)}: ${maskPansInText(reason)}`, options);
    this.name = 'UploadError';
  }
}
