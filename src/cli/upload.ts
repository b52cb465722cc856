import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { S3Client } from '@aws-sdk/client-s3';
import { DEFAULT_PART_SIZE, MIN_PART_SIZE, uploadFileToS3 } from '../adapters/aws/S3FileUploader.js';
import { UploadError } from '../adapters/aws/S3UploadErrors.js';
import { FraudminiError } from '../core/errors.js';
import { maskPansInText } from '../core/pan.js';
import { checkCsvHeader } from './csvHeader.js';
import { ProgressBar } from './progress.js';

/** Bad usage of `fraudmini upload`: exit code 2. */
class UploadUsageError extends FraudminiError {
  constructor(message: string) {
    super(message);
    this.name = 'UploadUsageError';
  }
}

/**
 * `fraudmini upload <file.csv> --bucket NAME [--prefix inbox/] [--kms-key-id ARN] [--part-size MiB]
 * [--endpoint URL] [--no-progress]`: checks the header as the AWS ingest function will, then
 * uploads the file to the raw bucket (SSE-KMS, SHA-256 checksums, multipart and resumable above
 * the part size). Returns 0 uploaded, 1 the upload failed, 2 bad usage or a header that cannot
 * be mapped (nothing is uploaded then).
 *
 * @example
 * await uploadCommand(['day.csv', '--bucket', 'fraudmini-raw'], process.env); // s3://fraudmini-raw/inbox/day.csv
 */
export async function uploadCommand(args: string[], env: Record<string, string | undefined>): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      bucket: { type: 'string' },
      prefix: { type: 'string', default: 'inbox/' },
      'kms-key-id': { type: 'string' },
      'part-size': { type: 'string' },
      endpoint: { type: 'string' },
      region: { type: 'string' },
      map: { type: 'string' },
      'max-record': { type: 'string' },
      'no-progress': { type: 'boolean' },
    },
    strict: true,
    allowPositionals: true,
  });
  const [file, ...extra] = positionals;
  if (file === undefined) throw new UploadUsageError('upload needs a CSV file: fraudmini upload <file.csv> --bucket NAME');
  if (extra.length > 0) throw new UploadUsageError(`upload takes one file, got also: ${extra.map(maskPansInText).join(' ')}`);
  if (!values.bucket) throw new UploadUsageError('upload needs --bucket NAME (the RawBucketName output of the deploy)');
  if (values.map !== undefined) {
    // The ingest function maps headers by name and alias only: a file that needs --map here
    // would pass this check and then fail there.
    throw new UploadUsageError(
      '--map is not available for upload: the AWS ingest function maps columns by name and alias only; rename the columns in the file',
    );
  }
  const partSize = partSizeFlag(values['part-size']);
  const maxRecord = maxRecordFlag(values['max-record'] ?? env.FRAUDMINI_MAX_RECORD);
  const shown = maskPansInText(file);
  try {
    if (!statSync(file).isFile()) throw new UploadUsageError(`cannot read ${shown}: not a file`);
  } catch (e) {
    if (e instanceof UploadUsageError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UploadUsageError(`cannot read ${shown}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message}`);
  }
  const name = basename(file);
  // Refused before a byte leaves the machine: the same header check as ingest (HeaderError, exit 2).
  await checkCsvHeader(file, { file: maskPansInText(name), maxRecord });

  let prefix = values.prefix;
  if (prefix !== '' && !prefix.endsWith('/')) prefix += '/';
  const key = `${prefix}${name}`;
  const region = values.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? (values.endpoint ? 'us-east-1' : undefined);
  const s3 = new S3Client({
    ...(region ? { region } : {}),
    ...(values.endpoint ? { endpoint: values.endpoint, forcePathStyle: true } : {}),
  });
  const size = statSync(file).size;
  const bar = new ProgressBar({ total: size, label: 'uploading' });
  try {
    const result = await uploadFileToS3({
      s3,
      file,
      bucket: values.bucket,
      key,
      kmsKeyId: values['kms-key-id'],
      partSize,
      onProgress: values['no-progress'] ? undefined : (bytes, lines) => bar.update(bytes, lines),
    });
    bar.done();
    const how =
      result.parts === 0
        ? 'one request'
        : `${result.parts} parts${result.resumedParts > 0 ? `, ${result.resumedParts} kept from an interrupted upload` : ''}`;
    process.stderr.write(
      `${shown}: ${size.toLocaleString('en-US')} bytes uploaded to ${maskPansInText(`s3://${values.bucket}/${key}`)} ` +
        `(${how}, SSE-KMS, SHA-256 checked)\n`,
    );
    return 0;
  } catch (e) {
    bar.done();
    if (!(e instanceof UploadError)) throw e;
    // The parts already sent stay in S3 until the bucket's lifecycle rule aborts the upload.
    const resume = size > partSize ? '; run the same command again to continue where it stopped' : '';
    process.stderr.write(`fraudmini: ${e.message}${resume}\n`);
    return 1;
  } finally {
    s3.destroy();
  }
}

/** `--part-size` in MiB (at least 5, S3's smallest part). */
function partSizeFlag(v: string | undefined): number {
  if (v === undefined) return DEFAULT_PART_SIZE;
  const mib = Number(v);
  if (!Number.isInteger(mib) || mib * (1 << 20) < MIN_PART_SIZE || mib > 5120) {
    throw new UploadUsageError(`--part-size must be an integer number of MiB, 5–5120, got "${v}"`);
  }
  return mib * (1 << 20);
}

/** `--max-record` / FRAUDMINI_MAX_RECORD: the longest row, in characters, as for ingest. */
function maxRecordFlag(v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1024 || n > 64 << 20) {
    throw new UploadUsageError(`--max-record must be an integer 1024–${64 << 20} (characters), got "${v}"`);
  }
  return n;
}
