/**
 * Where attachment bytes live: the port both stores implement (the local directory served by
 * the api through signed URLs, the default; an S3 bucket through presigned URLs). Keys are
 * made by the api only (`stagingKey`, `uploadKey`, `thumbnailKey`): an area letter and an
 * upload id, never a name a client chose, so no key can name a path outside the store.
 *
 * A client only ever writes to the staging key (`s/…`). Completion moves the bytes to the
 * final key (`u/…`, which no URL lets anyone write) and checks them there, so a presigned PUT
 * still valid after completion cannot replace what was checked (docs/ATTACHMENTS.md).
 */
export interface PresignedRequest {
  /** Absolute for S3; for the local store a path on the api (`/api/v1/blobs/…`). */
  readonly url: string;
  readonly method: 'PUT' | 'GET';
  /** Headers the client must send with the request. */
  readonly headers: Record<string, string>;
  readonly expiresAt: Date;
}

/** One part of a multipart upload: PUT the bytes at `url`, keep the ETag it answers. */
export interface PresignedPart {
  readonly partNumber: number;
  readonly url: string;
}

export interface DownloadOptions {
  /** The type the response declares (sniffed at completion, never the client's). */
  readonly contentType: string;
  /** `inline` only for the image types; everything else is `attachment` with this file name. */
  readonly disposition: 'inline' | 'attachment';
  readonly fileName: string;
  readonly ttlSeconds: number;
}

export interface BlobStore {
  readonly kind: 'local' | 's3';
  /** A URL that accepts exactly `size` bytes at `key` until it expires. */
  presignPut(key: string, size: number, ttlSeconds: number): Promise<PresignedRequest>;
  /** Starts a multipart upload (S3 only): its id and one URL per part. */
  presignMultipart?(
    key: string,
    size: number,
    partBytes: number,
    ttlSeconds: number,
  ): Promise<{ uploadId: string; parts: PresignedPart[]; expiresAt: Date }>;
  /** Assembles the parts (S3 only); `parts` as the client got them back. */
  completeMultipart?(key: string, uploadId: string, parts: ReadonlyArray<{ partNumber: number; etag: string }>): Promise<void>;
  presignGet(key: string, options: DownloadOptions): Promise<PresignedRequest>;
  /** The stored object's size, or undefined when there is none. */
  size(key: string): Promise<number | undefined>;
  /** Up to `bytes` bytes from the start of the object (to sniff its type). */
  readStart(key: string, bytes: number): Promise<Buffer>;
  /** The whole object; callers bound the size first. */
  read(key: string): Promise<Buffer>;
  write(key: string, body: Buffer, contentType: string): Promise<void>;
  /**
   * Moves the object at `from` to `to` (replacing it), as one copy the store makes; false when
   * there is nothing at `from`. What a client uploads reaches its final key only this way.
   */
  promote(from: string, to: string): Promise<boolean>;
  /** Deletes the object; one that is not there is not an error. */
  delete(key: string): Promise<void>;
}

/** Thrown by a store when the backend fails (counted as a storage error, answered 503). */
export class StorageError extends Error {
  constructor(
    readonly operation: string,
    options: { cause: unknown },
  ) {
    super(`storage ${operation} failed`, options);
    this.name = 'StorageError';
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Where a client PUTs an upload's bytes (the presigned URLs name this key only). */
export function stagingKey(uploadId: string): string {
  return `s/${canonicalId(uploadId)}`;
}

/** The key of an upload's bytes once completion moved them there: what is checked and served. */
export function uploadKey(uploadId: string): string {
  return `u/${canonicalId(uploadId)}`;
}

/** The key of an image upload's thumbnail. */
export function thumbnailKey(uploadId: string): string {
  return `t/${canonicalId(uploadId)}`;
}

/** Whether `key` is one `stagingKey`/`uploadKey`/`thumbnailKey` makes (the local store serves nothing else). */
export function isStoreKey(key: string): boolean {
  return /^[sut]\/[0-9a-f-]{36}$/.test(key) && UUID.test(key.slice(2));
}

function canonicalId(id: string): string {
  const lower = id.toLowerCase();
  if (!UUID.test(lower)) throw new Error('not an upload id');
  return lower;
}
