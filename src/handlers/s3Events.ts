/** One object an event asks ingest to handle. */
export interface ObjectRef {
  bucket: string;
  key: string;
  etag: string;
}

/** The message ingest sends itself to carry on with a file it paused (time ran short). */
export interface Continuation {
  fraudmini: 'continue';
  object: ObjectRef;
}

/**
 * The objects an SQS message body names: an S3 event notification (`Records[].s3`, keys
 * URL-encoded with `+` for spaces), an ingest continuation, or nothing (the `s3:TestEvent` S3
 * sends when notifications are set up). Anything else throws: a poison message goes to the DLQ.
 */
export function objectsOf(body: string): ObjectRef[] {
  let msg: unknown;
  try {
    msg = JSON.parse(body);
  } catch (e) {
    throw new Error(`not an S3 event: the body is not JSON (${(e as Error).message})`);
  }
  if (typeof msg !== 'object' || msg === null) throw new Error('not an S3 event: the body is not an object');
  const m = msg as { Event?: unknown; Records?: unknown; fraudmini?: unknown; object?: Partial<ObjectRef> };
  if (m.Event === 's3:TestEvent') return [];
  if (m.fraudmini === 'continue') {
    const o = m.object;
    if (typeof o?.bucket !== 'string' || typeof o.key !== 'string' || typeof o.etag !== 'string') {
      throw new Error('continuation without an object');
    }
    return [{ bucket: o.bucket, key: o.key, etag: o.etag }];
  }
  if (!Array.isArray(m.Records)) throw new Error('not an S3 event: no Records');
  const out: ObjectRef[] = [];
  for (const r of m.Records as { eventName?: unknown; s3?: { bucket?: { name?: unknown }; object?: { key?: unknown; eTag?: unknown } } }[]) {
    if (typeof r.eventName !== 'string' || !r.eventName.startsWith('ObjectCreated:')) continue;
    const bucket = r.s3?.bucket?.name;
    const key = r.s3?.object?.key;
    const etag = r.s3?.object?.eTag;
    if (typeof bucket !== 'string' || typeof key !== 'string' || typeof etag !== 'string') {
      throw new Error('S3 event record without bucket, key or eTag');
    }
    out.push({ bucket, key: decodeURIComponent(key.replace(/\+/g, ' ')), etag });
  }
  return out;
}

/** The S3 event notification S3 sends for a new object (what tests and the harness deliver). */
export function objectCreatedEvent(o: ObjectRef & { size?: number }, at = new Date()): string {
  return JSON.stringify({
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'us-east-1',
        eventTime: at.toISOString(),
        eventName: 'ObjectCreated:Put',
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'inbox-csv',
          bucket: { name: o.bucket, arn: `arn:aws:s3:::${o.bucket}` },
          object: {
            key: encodeURIComponent(o.key).replace(/%2F/g, '/').replace(/%20/g, '+'),
            size: o.size ?? 0,
            eTag: o.etag,
            sequencer: at.getTime().toString(16).toUpperCase(),
          },
        },
      },
    ],
  });
}
