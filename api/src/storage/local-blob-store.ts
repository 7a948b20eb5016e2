import { createHmac, timingSafeEqual } from 'node:crypto';
import { createReadStream, createWriteStream, type ReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomUUID } from 'node:crypto';
import { NeonError } from '@neonchat/common/contracts';
import { isStoreKey, StorageError, type BlobStore, type DownloadOptions, type PresignedRequest } from './blob-store.js';

/** The api's path that serves the local store's signed URLs (`routes/blob-routes.ts`). */
export const LOCAL_BLOB_PATH = '/api/v1/blobs';

/** What a signed local URL carries; every field is covered by the signature. */
export interface LocalGrant {
  readonly op: 'put' | 'get';
  readonly key: string;
  readonly exp: number;
  /** put: the exact byte count accepted. */
  readonly size?: number;
  /** get: the response's type, disposition and file name. */
  readonly ct?: string;
  readonly disp?: 'inline' | 'attachment';
  readonly name?: string;
}

/**
 * The default store: files in one directory on the api's disk, named by key (an upload id,
 * never a client's name), written and read through short-lived HMAC-signed URLs that the api
 * itself serves. Nothing to install for `make dev`; one api replica, or a shared volume.
 */
export class LocalBlobStore implements BlobStore {
  readonly kind = 'local' as const;
  private readonly root: string;

  constructor(
    dir: string,
    private readonly secret: string,
    private readonly now: () => number = Date.now,
  ) {
    this.root = resolve(dir);
  }

  async presignPut(key: string, size: number, ttlSeconds: number): Promise<PresignedRequest> {
    const grant: LocalGrant = { op: 'put', key, exp: this.expiry(ttlSeconds), size };
    return {
      url: this.url(grant),
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      expiresAt: new Date(grant.exp * 1000),
    };
  }

  async presignGet(key: string, options: DownloadOptions): Promise<PresignedRequest> {
    const grant: LocalGrant = {
      op: 'get',
      key,
      exp: this.expiry(options.ttlSeconds),
      ct: options.contentType,
      disp: options.disposition,
      name: options.fileName,
    };
    return { url: this.url(grant), method: 'GET', headers: {}, expiresAt: new Date(grant.exp * 1000) };
  }

  /** The grant a signed URL's query carries, or a NeonError (403 forged or expired, 400 malformed). */
  verify(key: string, query: Record<string, string | undefined>): LocalGrant {
    const op = query.op;
    const exp = Number(query.exp);
    if ((op !== 'put' && op !== 'get') || !isStoreKey(key) || !Number.isSafeInteger(exp) || typeof query.sig !== 'string') {
      throw new NeonError('validation_failed', 'not a signed storage URL');
    }
    const grant: LocalGrant = {
      op,
      key,
      exp,
      ...(query.size !== undefined ? { size: Number(query.size) } : {}),
      ...(query.ct !== undefined ? { ct: query.ct } : {}),
      ...(query.disp === 'inline' || query.disp === 'attachment' ? { disp: query.disp } : {}),
      ...(query.name !== undefined ? { name: query.name } : {}),
    };
    const expected = Buffer.from(this.sign(grant), 'utf8');
    const given = Buffer.from(query.sig, 'utf8');
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw new NeonError('forbidden', 'bad signature');
    if (exp * 1000 < this.now()) throw new NeonError('forbidden', 'the URL has expired');
    return grant;
  }

  /**
   * Writes the request body at `key`, exactly `size` bytes or nothing: more is cut off at
   * `size + 1` and refused (413), fewer refused (400); the file appears only when complete.
   */
  async receive(key: string, body: Readable, size: number): Promise<void> {
    const path = this.path(key);
    const partial = `${path}.${randomUUID()}.part`;
    await this.ensureDir(path);
    let received = 0;
    let over = false;
    body.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > size && !over) {
        over = true;
        body.destroy(new NeonError('payload_too_large', `more than the ${size} bytes announced`));
      }
    });
    try {
      await pipeline(body, createWriteStream(partial, { flags: 'wx' }));
      if (received !== size) throw new NeonError('validation_failed', `${received} bytes received, ${size} announced`);
      await rename(partial, path);
    } catch (err) {
      await rm(partial, { force: true });
      if (err instanceof NeonError) throw err;
      if (over) throw new NeonError('payload_too_large', `more than the ${size} bytes announced`);
      throw new NeonError('validation_failed', 'the upload was interrupted', { cause: err });
    }
  }

  /** A stream of the object for a signed GET, or undefined when there is none. */
  async openForDownload(key: string): Promise<{ stream: ReadStream; size: number } | undefined> {
    const size = await this.size(key);
    if (size === undefined) return undefined;
    return { stream: createReadStream(this.path(key)), size };
  }

  async size(key: string): Promise<number | undefined> {
    try {
      return (await stat(this.path(key))).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new StorageError('stat', { cause: err });
    }
  }

  async readStart(key: string, bytes: number): Promise<Buffer> {
    const handle = await open(this.path(key), 'r').catch((err: unknown) => {
      throw new StorageError('read', { cause: err });
    });
    try {
      const buffer = Buffer.alloc(bytes);
      const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  }

  async read(key: string): Promise<Buffer> {
    return readFile(this.path(key)).catch((err: unknown) => {
      throw new StorageError('read', { cause: err });
    });
  }

  async write(key: string, body: Buffer): Promise<void> {
    const path = this.path(key);
    await this.ensureDir(path);
    const partial = `${path}.${randomUUID()}.part`;
    try {
      await writeFile(partial, body, { flag: 'wx' });
      await rename(partial, path);
    } catch (err) {
      await rm(partial, { force: true });
      throw new StorageError('write', { cause: err });
    }
  }

  async promote(from: string, to: string): Promise<boolean> {
    const target = this.path(to);
    await this.ensureDir(target);
    try {
      // A rename is atomic: the final file is whole, and a PUT finishing later lands at `from` again.
      await rename(this.path(from), target);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw new StorageError('rename', { cause: err });
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true }).catch((err: unknown) => {
      throw new StorageError('delete', { cause: err });
    });
  }

  private path(key: string): string {
    // Keys are made by the api; checked again here so nothing else can ever name a file.
    if (!isStoreKey(key)) throw new StorageError('path', { cause: new Error('not a store key') });
    return join(this.root, key);
  }

  private async ensureDir(path: string): Promise<void> {
    await mkdir(dirname(path), { recursive: true }).catch((err: unknown) => {
      throw new StorageError('mkdir', { cause: err });
    });
  }

  private expiry(ttlSeconds: number): number {
    return Math.floor(this.now() / 1000) + ttlSeconds;
  }

  private url(grant: LocalGrant): string {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(grant)) if (k !== 'key' && v !== undefined) query.set(k, String(v));
    query.set('sig', this.sign(grant));
    return `${LOCAL_BLOB_PATH}/${grant.key}?${query.toString()}`;
  }

  private sign(grant: LocalGrant): string {
    const fields = [grant.op, grant.key, grant.exp, grant.size ?? '', grant.ct ?? '', grant.disp ?? '', grant.name ?? ''];
    return createHmac('sha256', this.secret).update(fields.join('\n')).digest('base64url');
  }
}
