import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { StorageError, type BlobStore, type DownloadOptions, type PresignedPart, type PresignedRequest } from './blob-store.js';

export interface S3StoreOptions {
  readonly bucket: string;
  readonly endpoint?: string;
  readonly region: string;
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
  readonly forcePathStyle: boolean;
}

/**
 * Any S3-protocol bucket (AWS, MinIO, Ceph): clients PUT and GET the bytes with presigned URLs,
 * so neither the api nor a gateway carries them. Large files go in parts (multipart upload).
 * S3 cannot add `X-Content-Type-Options: nosniff` to a presigned GET: the bucket (or the CDN
 * in front of it) must; the type and disposition are set per URL (`response-content-*`).
 */
export class S3BlobStore implements BlobStore {
  readonly kind = 's3' as const;
  readonly client: S3Client;
  private readonly bucket: string;

  constructor(options: S3StoreOptions) {
    this.bucket = options.bucket;
    this.client = new S3Client({
      region: options.region,
      forcePathStyle: options.forcePathStyle,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.accessKeyId && options.secretAccessKey
        ? { credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey } }
        : {}),
    });
  }

  async presignPut(key: string, size: number, ttlSeconds: number): Promise<PresignedRequest> {
    // The length is signed: S3 refuses a body of any other size.
    const command = new PutObjectCommand({ Bucket: this.bucket, Key: key, ContentLength: size, ContentType: 'application/octet-stream' });
    const url = await this.call('presign', () => getSignedUrl(this.client, command, { expiresIn: ttlSeconds }));
    return { url, method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, expiresAt: expiresAt(ttlSeconds) };
  }

  async presignMultipart(
    key: string,
    size: number,
    partBytes: number,
    ttlSeconds: number,
  ): Promise<{ uploadId: string; parts: PresignedPart[]; expiresAt: Date }> {
    const created = await this.call('multipart', () =>
      this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ContentType: 'application/octet-stream' })),
    );
    const uploadId = created.UploadId;
    if (!uploadId) throw new StorageError('multipart', { cause: new Error('no UploadId') });
    const count = Math.ceil(size / partBytes);
    const parts: PresignedPart[] = [];
    for (let partNumber = 1; partNumber <= count; partNumber++) {
      const command = new UploadPartCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, PartNumber: partNumber });
      parts.push({ partNumber, url: await this.call('presign', () => getSignedUrl(this.client, command, { expiresIn: ttlSeconds })) });
    }
    return { uploadId, parts, expiresAt: expiresAt(ttlSeconds) };
  }

  async completeMultipart(key: string, uploadId: string, parts: ReadonlyArray<{ partNumber: number; etag: string }>): Promise<void> {
    try {
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
        }),
      );
    } catch (err) {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
      throw new StorageError('multipart', { cause: err });
    }
  }

  async presignGet(key: string, options: DownloadOptions): Promise<PresignedRequest> {
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: key,
      ResponseContentType: options.contentType,
      ResponseContentDisposition: contentDisposition(options.disposition, options.fileName),
    });
    const url = await this.call('presign', () => getSignedUrl(this.client, command, { expiresIn: options.ttlSeconds }));
    return { url, method: 'GET', headers: {}, expiresAt: expiresAt(options.ttlSeconds) };
  }

  async size(key: string): Promise<number | undefined> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return head.ContentLength ?? 0;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw new StorageError('head', { cause: err });
    }
  }

  async readStart(key: string, bytes: number): Promise<Buffer> {
    return this.get(key, `bytes=0-${bytes - 1}`);
  }

  async read(key: string): Promise<Buffer> {
    return this.get(key);
  }

  async write(key: string, body: Buffer, contentType: string): Promise<void> {
    await this.call('write', () =>
      this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType })),
    );
  }

  async promote(from: string, to: string): Promise<boolean> {
    // A server-side copy (no bytes through the api; one request up to 5 GiB, UPLOAD_MAX_BYTES' bound).
    try {
      await this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key: to, CopySource: `${this.bucket}/${from}` }));
    } catch (err) {
      if (isNotFound(err)) return false;
      throw new StorageError('copy', { cause: err });
    }
    await this.delete(from);
    return true;
  }

  async delete(key: string): Promise<void> {
    await this.call('delete', () => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })));
  }

  private async get(key: string, range?: string): Promise<Buffer> {
    return this.call('read', async () => {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, ...(range ? { Range: range } : {}) }));
      if (!out.Body) return Buffer.alloc(0);
      return Buffer.from(await out.Body.transformToByteArray());
    });
  }

  private async call<T>(operation: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      throw new StorageError(operation, { cause: err });
    }
  }
}

function expiresAt(ttlSeconds: number): Date {
  return new Date(Date.now() + ttlSeconds * 1000);
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404;
}

/** RFC 6266: an ASCII fallback and the UTF-8 name (names have no control characters or slashes). */
export function contentDisposition(disposition: 'inline' | 'attachment', fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  return `${disposition}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;
}
