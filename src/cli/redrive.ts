import { parseArgs } from 'node:util';
import { SQSClient } from '@aws-sdk/client-sqs';
import { redriveMessages } from '../adapters/aws/SqsRedrive.js';
import { FraudminiError } from '../core/errors.js';

/** Bad usage of `fraudmini redrive`: exit code 2. */
class RedriveUsageError extends FraudminiError {
  constructor(message: string) {
    super(message);
    this.name = 'RedriveUsageError';
  }
}

/**
 * `fraudmini redrive --from DLQ_URL --to QUEUE_URL [--max N] [--region R] [--endpoint URL]`:
 * moves messages from a dead-letter queue back to its source queue after a fix, then prints the
 * counts. Returns 0 all moved, 1 some could not be moved (they stay in the DLQ), 2 bad usage.
 *
 * @example
 * await redriveCommand(['--from', dlqUrl, '--to', queueUrl], process.env);
 */
export async function redriveCommand(args: string[], env: Record<string, string | undefined>): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      max: { type: 'string' },
      region: { type: 'string' },
      endpoint: { type: 'string' },
    },
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length > 0) throw new RedriveUsageError(`redrive takes no file, got: ${positionals.join(' ')}`);
  const { from, to } = values;
  if (!from || !to) throw new RedriveUsageError('redrive needs --from DLQ_URL and --to QUEUE_URL');
  for (const [flag, url] of [['--from', from], ['--to', to]] as const) {
    if (!/^https?:\/\//.test(url)) throw new RedriveUsageError(`${flag} must be a queue URL (https://sqs.<region>.amazonaws.com/<account>/<name>), got "${url}"`);
  }
  if (from === to) throw new RedriveUsageError('--from and --to are the same queue');
  let max: number | undefined;
  if (values.max !== undefined) {
    max = Number(values.max);
    if (!Number.isInteger(max) || max < 1) throw new RedriveUsageError(`--max must be a positive integer, got "${values.max}"`);
  }
  const region = values.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? regionOf(from) ?? (values.endpoint ? 'us-east-1' : undefined);
  const sqs = new SQSClient({ ...(region ? { region } : {}), ...(values.endpoint ? { endpoint: values.endpoint } : {}) });
  try {
    const counts = await redriveMessages({ sqs, from, to, max });
    process.stdout.write(`moved ${counts.moved.toLocaleString('en-US')} messages from ${from} to ${to}\n`);
    if (counts.failed > 0) {
      process.stderr.write(`fraudmini: ${counts.failed} could not be sent and stay in the DLQ: ${counts.firstError ?? ''}\n`);
    }
    if (counts.notDeleted > 0) {
      process.stderr.write(
        `fraudmini: ${counts.notDeleted} were sent but not deleted from the DLQ (${counts.firstError ?? ''}); ` +
          'a later redrive sends them again, which the consumers ignore as duplicates\n',
      );
    }
    return counts.failed + counts.notDeleted > 0 ? 1 : 0;
  } catch (e) {
    const err = e as { name?: string; message?: string };
    process.stderr.write(`fraudmini: cannot redrive ${from} to ${to}: ${err.name ?? 'Error'}: ${err.message ?? String(e)}\n`);
    return 1;
  } finally {
    sqs.destroy();
  }
}

/** The region in a standard SQS URL (`https://sqs.<region>.amazonaws.com/...`), if any. */
function regionOf(url: string): string | undefined {
  return /^https:\/\/sqs\.([a-z0-9-]+)\.amazonaws\.com\//.exec(url)?.[1];
}
