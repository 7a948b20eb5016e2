import { attachmentRefFromRow, NeonError, type AttachmentRef } from '@neonchat/common/contracts';
import { uuidv7, type Logger } from '@neonchat/common/runtime';
import type { Repositories, UploadRow } from '../repositories/mod.js';
import { StorageError, stagingKey, thumbnailKey, uploadKey, type BlobStore, type PresignedRequest } from '../storage/blob-store.js';
import type { AttachmentMetrics } from './attachment-metrics.js';
import { SNIFF_BYTES, sniffContentType } from './content-sniffing.js';
import { imageDimensions } from './thumbnails.js';
import type { ThumbnailQueue } from './thumbnail-queue.js';
import { THUMBNAIL_TYPE } from './thumbnails.js';

export interface AttachmentSettings {
  readonly maxBytes: number;
  readonly quotaBytesPerDay: number;
  readonly urlTtlSeconds: number;
  readonly maxPixels: number;
  readonly partBytes: number;
}

export interface UploadTicket {
  readonly upload_id: string;
  readonly upload_url: string;
  readonly method: 'PUT';
  readonly headers: Record<string, string>;
  readonly expires_at: string;
  /** Multipart (S3, files of at least UPLOAD_PART_BYTES): PUT each part, then complete with their ETags. */
  readonly parts?: Array<{ part_number: number; url: string }>;
  readonly part_size?: number;
}

/** How a completion ended, under the upload's lock. */
type CompletionVerdict =
  | { readonly ok: true; readonly ref: AttachmentRef; readonly size: number }
  | { readonly ok: false; readonly code: 'validation_failed'; readonly message: string };

export interface DownloadTicket {
  readonly url: string;
  readonly expires_at: string;
  readonly name: string;
  readonly content_type: string;
  readonly size: number;
}

/**
 * Uploads and downloads of attachments (issue 29): the bytes go straight between the client
 * and the store through short-lived URLs; the api hands out the URLs, checks what arrived
 * (size, real type, image pixels) and who may read it.
 */
export class AttachmentService {
  constructor(
    private readonly deps: {
      readonly store: BlobStore;
      readonly metrics: AttachmentMetrics;
      readonly thumbnails: ThumbnailQueue;
      readonly logger: Logger;
      readonly settings: AttachmentSettings;
    },
  ) {}

  get store(): BlobStore {
    return this.deps.store;
  }

  async create(repos: Repositories, ownerId: string, file: { name: string; size: number; content_type: string }): Promise<UploadTicket> {
    const { settings, store } = this.deps;
    if (file.size > settings.maxBytes) {
      throw new NeonError('payload_too_large', `size: at most ${settings.maxBytes} bytes`, { details: { field: 'size' } });
    }
    const id = uuidv7();
    const key = stagingKey(id);
    const multipart = store.presignMultipart && file.size >= settings.partBytes;
    const presigned = multipart
      ? await this.storage('presign', () => store.presignMultipart!(key, file.size, settings.partBytes, settings.urlTtlSeconds))
      : undefined;
    const stored = await repos.uploads.insertWithinQuota(
      {
        id,
        ownerId,
        name: file.name,
        declaredType: file.content_type,
        size: file.size,
        ...(presigned ? { multipartId: presigned.uploadId } : {}),
      },
      settings.quotaBytesPerDay,
    );
    if (!stored) throw new NeonError('rate_limited', `daily upload quota of ${settings.quotaBytesPerDay} bytes reached`);
    if (presigned) {
      return {
        upload_id: id,
        upload_url: presigned.parts[0]!.url,
        method: 'PUT',
        headers: {},
        expires_at: presigned.expiresAt.toISOString(),
        parts: presigned.parts.map((p) => ({ part_number: p.partNumber, url: p.url })),
        part_size: settings.partBytes,
      };
    }
    const put: PresignedRequest = await this.storage('presign', () => store.presignPut(key, file.size, settings.urlTtlSeconds));
    return { upload_id: id, upload_url: put.url, method: 'PUT', headers: put.headers, expires_at: put.expiresAt.toISOString() };
  }

  /**
   * Checks what was uploaded and marks it complete: the size as announced, the type sniffed
   * from the bytes and matching the declared one, an image within the pixel limit. The bytes
   * are first moved from where the client wrote them (`stagingKey`) to the final key no URL
   * can write, and checked there: what was checked is what is served. A refused upload's bytes
   * are deleted at once and the upload cannot be completed again.
   */
  async complete(
    repos: Repositories,
    callerId: string,
    uploadId: string,
    parts?: ReadonlyArray<{ part_number: number; etag: string }>,
  ): Promise<AttachmentRef> {
    const upload = await this.ownUpload(repos, callerId, uploadId);
    if (upload.status === 'complete') return attachmentRef(upload);
    if (upload.multipart_id) await this.assembleParts(upload, parts);
    const verdict = await repos.uploads.whileCompleting(upload.id, (locked) => this.checkAndComplete(locked, upload));
    // No longer pending: completed (or refused) meanwhile by another request.
    if (!verdict) return attachmentRef(await this.ownUpload(repos, callerId, uploadId));
    if (!verdict.ok) throw new NeonError(verdict.code, verdict.message);
    this.deps.metrics.uploadBytes.inc(verdict.size);
    this.deps.metrics.uploads.inc({ outcome: 'complete' });
    if (verdict.ref.kind === 'image') this.deps.thumbnails.enqueue(upload.id);
    return verdict.ref;
  }

  /** A multipart upload's parts, assembled at the staging key (S3). */
  private async assembleParts(upload: UploadRow, parts?: ReadonlyArray<{ part_number: number; etag: string }>): Promise<void> {
    if (!parts?.length)
      throw new NeonError('validation_failed', 'parts: the ETag of every part is needed', { details: { field: 'parts' } });
    const list = parts.map((p) => ({ partNumber: p.part_number, etag: p.etag }));
    await this.storage('multipart', () => this.deps.store.completeMultipart!(stagingKey(upload.id), upload.multipart_id!, list)).catch(
      async (err: unknown) => {
        throw err instanceof NeonError && err.code === 'unavailable'
          ? new NeonError('validation_failed', 'parts: the store refused them')
          : err;
      },
    );
  }

  /**
   * Under the upload's row lock: moves the bytes to their final key, checks them there and
   * marks the upload complete, or deletes them and marks it deleted. A refusal is returned, not
   * thrown, so the transaction that marks the upload deleted commits.
   */
  private async checkAndComplete(locked: Repositories['uploads'], upload: UploadRow): Promise<CompletionVerdict> {
    const key = uploadKey(upload.id);
    // Nothing at the staging key may still mean bytes at the final one (a completion that failed after moving them).
    await this.storage('promote', () => this.deps.store.promote(stagingKey(upload.id), key));
    const size = await this.storage('head', () => this.deps.store.size(key));
    if (size === undefined) throw new NeonError('conflict', 'nothing has been uploaded yet');
    const declared = Number(upload.declared_size);
    if (size !== declared) return this.refuse(locked, upload.id, 'size', `${size} bytes stored, ${declared} announced`);
    const sniffed = await sniffContentType(
      await this.storage('read', () => this.deps.store.readStart(key, SNIFF_BYTES)),
      upload.declared_type,
    );
    if (!sniffed.ok) return this.refuse(locked, upload.id, 'type', `content_type: ${sniffed.reason}`);
    let dims: { width: number; height: number } | undefined;
    if (sniffed.kind === 'image') {
      dims = await imageDimensions(await this.storage('read', () => this.deps.store.read(key)));
      if (!dims) return this.refuse(locked, upload.id, 'type', 'content_type: not a readable image');
      if (dims.width * dims.height > this.deps.settings.maxPixels || dims.width > 65535 || dims.height > 65535) {
        return this.refuse(locked, upload.id, 'pixels', `the image has more than ${this.deps.settings.maxPixels} pixels`);
      }
    }
    const done = {
      contentType: sniffed.contentType,
      kind: sniffed.kind,
      ...dims,
      thumbnail: sniffed.kind === 'image' ? 'pending' : 'none',
    } as const;
    await locked.complete(upload.id, done);
    const ref = attachmentRef({
      ...upload,
      status: 'complete',
      content_type: done.contentType,
      kind: done.kind,
      width: dims?.width ?? null,
      height: dims?.height ?? null,
      thumbnail: done.thumbnail,
    });
    return { ok: true, ref, size };
  }

  /** A short-lived URL to the file (or its thumbnail) for its owner or a member of a chat showing it. */
  async download(repos: Repositories, callerId: string, uploadId: string, variant: 'file' | 'thumbnail'): Promise<DownloadTicket> {
    const upload = await repos.uploads.find(uploadId);
    const allowed =
      upload?.status === 'complete' && (upload.owner_id === callerId || (await repos.uploads.canDownload(upload.id, callerId)));
    if (!upload || !allowed) throw new NeonError('not_found', 'no such attachment, or not in a chat of yours');
    if (variant === 'thumbnail' && upload.thumbnail !== 'ready') throw new NeonError('not_found', 'this attachment has no thumbnail (yet)');
    const contentType = variant === 'thumbnail' ? THUMBNAIL_TYPE : upload.content_type!;
    const presigned = await this.storage('presign', () =>
      this.deps.store.presignGet(variant === 'thumbnail' ? thumbnailKey(upload.id) : uploadKey(upload.id), {
        contentType,
        // Only the image types a browser shows as pictures are inline; never HTML or SVG.
        disposition: upload.kind === 'image' ? 'inline' : 'attachment',
        fileName: upload.name,
        ttlSeconds: this.deps.settings.urlTtlSeconds,
      }),
    );
    return {
      url: presigned.url,
      expires_at: presigned.expiresAt.toISOString(),
      name: upload.name,
      content_type: contentType,
      size: Number(upload.declared_size),
    };
  }

  private async ownUpload(repos: Repositories, callerId: string, uploadId: string): Promise<UploadRow> {
    const upload = await repos.uploads.find(uploadId);
    // Someone else's upload is as unknown as a missing one.
    if (!upload || upload.owner_id !== callerId || upload.status === 'deleted') throw new NeonError('not_found', 'no such upload');
    return upload;
  }

  private async refuse(locked: Repositories['uploads'], uploadId: string, outcome: string, message: string): Promise<CompletionVerdict> {
    this.deps.metrics.uploads.inc({ outcome: `refused_${outcome}` });
    await this.storage('delete', async () => {
      await this.deps.store.delete(uploadKey(uploadId));
      // A PUT still valid may have written the staging key again since the bytes were moved.
      await this.deps.store.delete(stagingKey(uploadId));
    });
    await locked.markDeleted([uploadId]);
    return { ok: false, code: 'validation_failed', message };
  }

  /** A store call; its failure is counted and answered 503 (retry), never 500. */
  private async storage<T>(operation: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (err instanceof NeonError) throw err;
      const op = err instanceof StorageError ? err.operation : operation;
      this.deps.metrics.storageErrors.inc({ operation: op });
      this.deps.logger.warn({ err, operation: op }, 'attachment store failed');
      throw new NeonError('unavailable', 'the file store is unavailable, retry shortly', { cause: err });
    }
  }
}

/** The reference a message carries, from a completed upload row. */
export function attachmentRef(upload: UploadRow): AttachmentRef {
  return attachmentRefFromRow(upload);
}
