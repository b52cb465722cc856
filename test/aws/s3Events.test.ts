import { describe, expect, it } from 'vitest';
import { objectCreatedEvent, objectsOf } from '../../src/handlers/s3Events.js';

const OBJECT = { bucket: 'raw', key: 'inbox/day one+two.csv', etag: '"abc"' };

/** An S3 event body with the given records (only the fields `objectsOf` reads). */
function s3Event(...records: unknown[]): string {
  return JSON.stringify({ Records: records });
}

function created(key: string, eventName = 'ObjectCreated:Put'): unknown {
  return { eventName, s3: { bucket: { name: 'raw' }, object: { key, eTag: 'e1' } } };
}

describe('objectsOf', () => {
  it('reads back the object of the event S3 sends, with spaces and plus signs in its key', () => {
    // Prepare: `+` stands for a space in the event, a real plus is %2B
    const body = objectCreatedEvent(OBJECT, new Date(0));

    // Act / Assess
    expect(JSON.parse(body).Records[0].s3.object.key).toBe('inbox/day+one%2Btwo.csv');
    expect(objectsOf(body)).toStrictEqual([OBJECT]);
  });

  it('takes every ObjectCreated record of a message and skips the other events', () => {
    // Prepare
    const body = s3Event(created('inbox/a.csv'), created('inbox/gone.csv', 'ObjectRemoved:Delete'), created('inbox/b%C3%A9.csv', 'ObjectCreated:CompleteMultipartUpload'), {});

    // Act / Assess
    expect(objectsOf(body)).toStrictEqual([
      { bucket: 'raw', key: 'inbox/a.csv', etag: 'e1' },
      { bucket: 'raw', key: 'inbox/bé.csv', etag: 'e1' },
    ]);
  });

  it('reads an ingest continuation, and nothing from the test event S3 sends on set-up', () => {
    expect(objectsOf(JSON.stringify({ fraudmini: 'continue', object: OBJECT }))).toStrictEqual([OBJECT]);
    expect(objectsOf(JSON.stringify({ Event: 's3:TestEvent', Records: [created('inbox/x.csv')] }))).toEqual([]);
    expect(objectsOf(s3Event())).toEqual([]);
  });

  it.each([
    ['not json', /^not an S3 event: the body is not JSON \(/],
    ['null', /^not an S3 event: the body is not an object$/],
    ['"text"', /^not an S3 event: the body is not an object$/],
    ['{"records":[]}', /^not an S3 event: no Records$/],
    ['{"Records":{}}', /^not an S3 event: no Records$/],
    [JSON.stringify({ fraudmini: 'continue' }), /^continuation without an object$/],
    [JSON.stringify({ fraudmini: 'continue', object: { bucket: 'raw', key: 'inbox/a.csv' } }), /^continuation without an object$/],
    [JSON.stringify({ fraudmini: 'continue', object: { bucket: 'raw', etag: 'e' } }), /^continuation without an object$/],
    [JSON.stringify({ fraudmini: 'continue', object: { key: 'k', etag: 'e' } }), /^continuation without an object$/],
    [s3Event({ eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'raw' }, object: { key: 'k' } } }), /^S3 event record without bucket, key or eTag$/],
    [s3Event({ eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'raw' }, object: { eTag: 'e' } } }), /^S3 event record without bucket, key or eTag$/],
    [s3Event({ eventName: 'ObjectCreated:Put', s3: { object: { key: 'k', eTag: 'e' } } }), /^S3 event record without bucket, key or eTag$/],
    [s3Event({ eventName: 'ObjectCreated:Put' }), /^S3 event record without bucket, key or eTag$/],
    [s3Event({ eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'raw' } } }), /^S3 event record without bucket, key or eTag$/],
  ])('refuses %s: a poison message goes to the DLQ', (body, message) => {
    expect(() => objectsOf(body)).toThrow(message);
  });

  it('skips records without an event name', () => {
    expect(objectsOf(s3Event({ eventName: 7, s3: {} }, { s3: {} }))).toEqual([]);
  });
});

describe('objectCreatedEvent', () => {
  it('writes the fields S3 writes, at the given time', () => {
    // Act
    const record = JSON.parse(objectCreatedEvent({ ...OBJECT, size: 42 }, new Date(Date.UTC(2026, 0, 2, 3, 4, 5)))).Records[0];

    // Assess
    expect(record).toMatchObject({
      eventSource: 'aws:s3',
      eventTime: '2026-01-02T03:04:05.000Z',
      eventName: 'ObjectCreated:Put',
      s3: { bucket: { name: 'raw', arn: 'arn:aws:s3:::raw' }, object: { size: 42, eTag: '"abc"', sequencer: Date.UTC(2026, 0, 2, 3, 4, 5).toString(16).toUpperCase() } },
    });
    expect(JSON.parse(objectCreatedEvent(OBJECT)).Records[0].s3.object.size).toBe(0);
  });
});
