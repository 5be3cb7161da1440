import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One stored object. */
export interface FakeObject {
  readonly body: Buffer;
  readonly contentType: string;
  readonly metadata: Record<string, string>;
  readonly lastModified: Date;
  readonly etag: string;
}

/**
 * A local S3-compatible server for tests, speaking the S3 REST API path-style (`/<bucket>/<key>`)
 * as @aws-sdk/client-s3 sends it with `forcePathStyle`: PutObject, GetObject, HeadObject,
 * DeleteObject and ListObjectsV2 (prefix, max-keys, continuation tokens), with S3's XML errors
 * (NoSuchBucket, NoSuchKey, InvalidAccessKeyId). Requests must carry an AWS Signature V4
 * Authorization header naming the access key id given here. The aws-chunked streaming upload
 * encoding is refused (501) so a test notices a client that sends it.
 */
export class FakeS3 {
  readonly buckets = new Map<string, Map<string, FakeObject>>();
  readonly requests: { method: string; path: string }[] = [];

  private constructor(
    private readonly server: Server,
    private readonly accessKeyId: string,
  ) {}

  static async start(options: { accessKeyId: string; buckets: readonly string[] }): Promise<FakeS3> {
    const server = createServer();
    const fake = new FakeS3(server, options.accessKeyId);
    for (const bucket of options.buckets) fake.buckets.set(bucket, new Map());
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => fake.handle(req, res, Buffer.concat(chunks)));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const [, bucketName = '', ...rest] = url.pathname.split('/');
    const key = rest.map(decodeURIComponent).join('/');
    const method = req.method ?? 'GET';
    this.requests.push({ method, path: url.pathname });
    const credential = /Credential=([^/]+)\//.exec(String(req.headers.authorization ?? ''));
    if (!String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256 ') || !credential)
      return xmlError(res, 403, 'AccessDenied', 'Access Denied', method);
    if (credential[1] !== this.accessKeyId)
      return xmlError(
        res,
        403,
        'InvalidAccessKeyId',
        'The AWS Access Key Id you provided does not exist in our records.',
        method,
      );
    const bucket = this.buckets.get(decodeURIComponent(bucketName));
    if (!bucket) return xmlError(res, 404, 'NoSuchBucket', 'The specified bucket does not exist', method);
    if (key === '' && method === 'GET') return this.list(res, bucket, url.searchParams);
    const object = bucket.get(key);
    switch (method) {
      case 'PUT': {
        if (String(req.headers['content-encoding'] ?? '').includes('aws-chunked'))
          return xmlError(res, 501, 'NotImplemented', 'aws-chunked uploads are not supported here', method);
        const metadata: Record<string, string> = {};
        for (const [name, value] of Object.entries(req.headers))
          if (name.startsWith('x-amz-meta-')) metadata[name.slice('x-amz-meta-'.length)] = String(value);
        const etag = `"${createHash('md5').update(body).digest('hex')}"`;
        bucket.set(key, {
          body,
          contentType: String(req.headers['content-type'] ?? 'binary/octet-stream'),
          metadata,
          lastModified: new Date(),
          etag,
        });
        res.writeHead(200, { etag });
        return void res.end();
      }
      case 'GET':
      case 'HEAD': {
        if (!object) return xmlError(res, 404, 'NoSuchKey', 'The specified key does not exist.', method);
        res.writeHead(200, {
          'content-type': object.contentType,
          'content-length': String(object.body.length),
          'last-modified': object.lastModified.toUTCString(),
          etag: object.etag,
          ...Object.fromEntries(Object.entries(object.metadata).map(([name, value]) => [`x-amz-meta-${name}`, value])),
        });
        return void res.end(method === 'GET' ? object.body : undefined);
      }
      case 'DELETE':
        bucket.delete(key);
        res.writeHead(204);
        return void res.end();
      default:
        return xmlError(
          res,
          405,
          'MethodNotAllowed',
          'The specified method is not allowed against this resource.',
          method,
        );
    }
  }

  private list(res: ServerResponse, bucket: Map<string, FakeObject>, query: URLSearchParams): void {
    const prefix = query.get('prefix') ?? '';
    const max = Math.min(1000, Number(query.get('max-keys') ?? 1000));
    const after = query.get('continuation-token')
      ? Buffer.from(query.get('continuation-token')!, 'base64').toString()
      : '';
    const keys = [...bucket.keys()].filter((key) => key.startsWith(prefix) && key > after).sort();
    const page = keys.slice(0, max);
    const truncated = keys.length > page.length;
    const contents = page
      .map((key) => {
        const object = bucket.get(key)!;
        return `<Contents><Key>${escapeXml(key)}</Key><LastModified>${object.lastModified.toISOString()}</LastModified><ETag>${escapeXml(object.etag)}</ETag><Size>${object.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
      })
      .join('');
    const next = truncated
      ? `<NextContinuationToken>${Buffer.from(page.at(-1)!).toString('base64')}</NextContinuationToken>`
      : '';
    res.writeHead(200, { 'content-type': 'application/xml' });
    res.end(
      `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Prefix>${escapeXml(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${max}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${contents}${next}</ListBucketResult>`,
    );
  }
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function xmlError(res: ServerResponse, status: number, code: string, message: string, method: string): void {
  res.writeHead(status, { 'content-type': 'application/xml' });
  // HEAD answers carry no body; the client reads the status.
  res.end(
    method === 'HEAD'
      ? undefined
      : `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error>`,
  );
}
