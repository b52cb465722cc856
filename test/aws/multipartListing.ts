import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One part as the proxy saw it go through. */
export interface SeenPart {
  partNumber: number;
  size: number;
  etag: string;
  sha256: string | undefined;
}

interface SeenUpload {
  bucket: string;
  key: string;
  initiated: Date;
  parts: Map<number, SeenPart>;
}

/**
 * A proxy in front of fauxqs that adds the two S3 calls fauxqs lacks, ListMultipartUploads
 * (`GET /bucket?uploads`) and ListParts (`GET /bucket/key?uploadId=`), answered from the
 * multipart uploads it saw pass through (the ETag from fauxqs, the SHA-256 from the request).
 * Everything else is forwarded unchanged. `failPart` makes UploadPart of that part number fail
 * with a 403, which the SDK does not retry: an interrupted upload, deterministically.
 */
export class MultipartListingProxy {
  failPart: number | undefined;
  /** Headers of every object write (PutObject, CreateMultipartUpload) that went through, by key. */
  readonly writeHeaders: { key: string; headers: IncomingHttpHeaders }[] = [];
  /** Part numbers uploaded through the proxy, in the order they completed. */
  readonly uploadedParts: number[] = [];
  private readonly uploads = new Map<string, SeenUpload>();
  private readonly server: Server;

  private constructor(private readonly target: string) {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.handle(req.method ?? 'GET', req.url ?? '/', req.headers, Buffer.concat(chunks)).then(
          ({ status, headers, body }) => {
            res.writeHead(status, headers);
            res.end(body);
          },
          (e: Error) => {
            res.writeHead(502);
            res.end(e.message);
          },
        );
      });
    });
  }

  /** Starts the proxy on a free port in front of `target` (the fauxqs address). */
  static async start(target: string): Promise<{ proxy: MultipartListingProxy; address: string }> {
    const proxy = new MultipartListingProxy(target);
    await new Promise<void>((ok) => proxy.server.listen(0, '127.0.0.1', () => ok()));
    const { port } = proxy.server.address() as AddressInfo;
    return { proxy, address: `http://127.0.0.1:${port}` };
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((ok) => this.server.close(() => ok()));
  }

  private async handle(
    method: string,
    url: string,
    headers: IncomingHttpHeaders,
    body: Buffer,
  ): Promise<{ status: number; headers: Record<string, string>; body: Buffer | string }> {
    const u = new URL(url, 'http://proxy');
    const [, bucket = '', ...rest] = u.pathname.split('/');
    const key = decodeURIComponent(rest.join('/'));
    const q = u.searchParams;
    const xml = { 'content-type': 'application/xml' };
    if (method === 'GET' && q.has('uploads') && key === '') {
      const prefix = q.get('prefix') ?? '';
      const listed = [...this.uploads.entries()].filter(([, up]) => up.bucket === bucket && up.key.startsWith(prefix));
      return {
        status: 200,
        headers: xml,
        body:
          `<?xml version="1.0" encoding="UTF-8"?><ListMultipartUploadsResult><Bucket>${bucket}</Bucket><IsTruncated>false</IsTruncated>` +
          listed
            .map(([id, up]) => `<Upload><Key>${up.key}</Key><UploadId>${id}</UploadId><Initiated>${up.initiated.toISOString()}</Initiated></Upload>`)
            .join('') +
          '</ListMultipartUploadsResult>',
      };
    }
    if (method === 'GET' && q.has('uploadId')) {
      const up = this.uploads.get(q.get('uploadId') ?? '');
      if (!up) return { status: 404, headers: xml, body: '<Error><Code>NoSuchUpload</Code><Message>no such upload</Message></Error>' };
      const parts = [...up.parts.values()].sort((a, b) => a.partNumber - b.partNumber);
      return {
        status: 200,
        headers: xml,
        body:
          `<?xml version="1.0" encoding="UTF-8"?><ListPartsResult><Bucket>${bucket}</Bucket><Key>${key}</Key><IsTruncated>false</IsTruncated>` +
          parts
            .map(
              (p) =>
                `<Part><PartNumber>${p.partNumber}</PartNumber><ETag>${p.etag}</ETag><Size>${p.size}</Size>` +
                (p.sha256 ? `<ChecksumSHA256>${p.sha256}</ChecksumSHA256>` : '') +
                '</Part>',
            )
            .join('') +
          '</ListPartsResult>',
      };
    }
    if ((method === 'PUT' && !q.has('uploadId')) || (method === 'POST' && q.has('uploads'))) this.writeHeaders.push({ key, headers });
    const partNumber = Number(q.get('partNumber'));
    if (method === 'PUT' && q.has('uploadId') && partNumber === this.failPart) {
      return { status: 403, headers: xml, body: '<Error><Code>AccessDenied</Code><Message>injected failure</Message></Error>' };
    }
    const answer = await this.forward(method, url, headers, method === 'POST' && q.has('uploadId') ? withoutChecksums(body) : body);
    if (answer.status === 200 && method === 'POST' && q.has('uploads')) {
      const id = /<UploadId>([^<]+)<\/UploadId>/.exec(answer.body.toString())?.[1];
      if (id) this.uploads.set(id, { bucket, key, initiated: new Date(), parts: new Map() });
    } else if (answer.status === 200 && method === 'PUT' && q.has('uploadId')) {
      const up = this.uploads.get(q.get('uploadId') ?? '');
      up?.parts.set(partNumber, {
        partNumber,
        size: Number(headers['x-amz-decoded-content-length'] ?? headers['content-length']),
        etag: answer.headers.etag ?? '',
        sha256: checksumOf(headers, body),
      });
      this.uploadedParts.push(partNumber);
    } else if (answer.status < 300 && q.has('uploadId') && (method === 'POST' || method === 'DELETE')) {
      this.uploads.delete(q.get('uploadId') ?? '');
    }
    return answer;
  }

  private forward(
    method: string,
    url: string,
    headers: IncomingHttpHeaders,
    body: Buffer,
  ): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
    return new Promise((ok, ko) => {
      // The proxy already answered any `Expect: 100-continue`; the body goes in one piece.
      const { expect: _expect, ...forwarded } = headers;
      const req = httpRequest(new URL(url, this.target), { method, headers: { ...forwarded, 'content-length': String(body.length) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const out: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') out[k] = v;
          ok({ status: res.statusCode ?? 500, headers: out, body: Buffer.concat(chunks) });
        });
      });
      req.on('error', ko);
      req.end(body);
    });
  }
}

/**
 * A CompleteMultipartUpload body without the parts' `ChecksumSHA256` elements: S3 wants them
 * (and the proxy's ListParts returns them), but fauxqs only parses a part whose PartNumber and
 * ETag are adjacent.
 */
function withoutChecksums(body: Buffer): Buffer {
  const xml = body.toString('utf8').replace(/<ChecksumSHA256>[^<]*<\/ChecksumSHA256>/g, '');
  return Buffer.from(xml, 'utf8');
}

/** The SHA-256 a request carried: as a header, or as the trailer of an aws-chunked body. */
function checksumOf(headers: IncomingHttpHeaders, body: Buffer): string | undefined {
  const header = headers['x-amz-checksum-sha256'];
  if (typeof header === 'string') return header;
  const tail = body.subarray(Math.max(0, body.length - 200)).toString('latin1');
  return /x-amz-checksum-sha256:([A-Za-z0-9+/=]+)/.exec(tail)?.[1];
}
