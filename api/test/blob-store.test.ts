import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { expect } from 'chai';
import S3rver from 's3rver';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { NeonError } from '@neonchat/common/contracts';
import { stagingKey, thumbnailKey, uploadKey, type BlobStore } from '../src/storage/blob-store.js';
import { LocalBlobStore } from '../src/storage/local-blob-store.js';
import { S3BlobStore } from '../src/storage/s3-blob-store.js';

/** Sends `bytes` to a presigned PUT the way a client would: over HTTP to S3, through the api's route logic locally. */
type PutThrough = (url: string, headers: Record<string, string>, bytes: Buffer) => Promise<number>;
/** Fetches a presigned GET: status, headers and body. */
type GetThrough = (url: string) => Promise<{ status: number; headers: Headers | Map<string, string>; body: Buffer }>;

interface StoreUnderTest {
  readonly store: BlobStore;
  readonly putThrough: PutThrough;
  readonly getThrough: GetThrough;
}

/** One contract, run against every store. */
function storeContract(name: string, make: () => Promise<StoreUnderTest & { close(): Promise<void> }>): void {
  describe(`BlobStore contract: ${name} @integration`, function () {
    this.timeout(30_000);
    let t: StoreUnderTest & { close(): Promise<void> };
    before(async () => {
      t = await make();
    });
    after(async () => t?.close());

    it('writes, sizes, reads (whole and the start) and deletes an object; deleting twice is fine', async () => {
      const key = thumbnailKey(randomUUID());
      expect(await t.store.size(key)).to.equal(undefined);
      await t.store.write(key, Buffer.from('0123456789'), 'image/webp');
      expect(await t.store.size(key)).to.equal(10);
      expect((await t.store.read(key)).toString()).to.equal('0123456789');
      expect((await t.store.readStart(key, 4)).toString()).to.equal('0123');
      await t.store.delete(key);
      await t.store.delete(key);
      expect(await t.store.size(key)).to.equal(undefined);
    });

    it('takes exactly the presigned size through a presigned PUT, and serves it through a presigned GET with type and disposition', async () => {
      const key = uploadKey(randomUUID());
      const bytes = Buffer.from('%PDF-1.4 hello');
      const put = await t.store.presignPut(key, bytes.length, 60);
      expect(put.method).to.equal('PUT');
      expect(put.expiresAt.getTime()).to.be.greaterThan(Date.now());
      expect(await t.putThrough(put.url, put.headers, bytes)).to.equal(200);
      expect(await t.store.size(key)).to.equal(bytes.length);
      const get = await t.store.presignGet(key, {
        contentType: 'application/pdf',
        disposition: 'attachment',
        fileName: 'My report (1).pdf',
        ttlSeconds: 60,
      });
      const res = await t.getThrough(get.url);
      expect(res.status).to.equal(200);
      expect(res.body.equals(bytes)).to.equal(true);
      expect(res.headers.get('content-type')).to.equal('application/pdf');
      expect(res.headers.get('content-disposition')).to.equal(
        `attachment; filename="My report (1).pdf"; filename*=UTF-8''My%20report%20%281%29.pdf`,
      );
    });

    it('promotes an upload from the staging key to its final key; a PUT through a URL still valid never reaches the final key', async () => {
      const id = randomUUID();
      const put = await t.store.presignPut(stagingKey(id), 5, 60);
      expect(await t.putThrough(put.url, put.headers, Buffer.from('first'))).to.equal(200);
      expect(await t.store.promote(stagingKey(id), uploadKey(id))).to.equal(true);
      expect(await t.store.size(stagingKey(id))).to.equal(undefined);
      expect((await t.store.read(uploadKey(id))).toString()).to.equal('first');
      expect(await t.store.promote(stagingKey(id), uploadKey(id))).to.equal(false);
      expect(await t.putThrough(put.url, put.headers, Buffer.from('later'))).to.equal(200);
      expect((await t.store.read(uploadKey(id))).toString()).to.equal('first');
      await t.store.delete(stagingKey(id));
      await t.store.delete(uploadKey(id));
    });

    it('refuses a body larger than the presigned size, or stores it at its real size (so completion refuses it)', async () => {
      // AWS signs the length and refuses another; s3rver does not check it. What the api relies
      // on either way: `size()` tells the truth, and completion compares it with the declared size.
      const key = uploadKey(randomUUID());
      const put = await t.store.presignPut(key, 5, 60);
      const status = await t.putThrough(put.url, put.headers, Buffer.from('123456'));
      if (status >= 400) expect(await t.store.size(key)).to.equal(undefined);
      else expect(await t.store.size(key)).to.equal(6);
      if (name.startsWith('local')) expect(status).to.equal(413);
    });

    if (name.startsWith('S3')) {
      it('uploads a large file in parts (multipart) through presigned part URLs', async () => {
        const key = uploadKey(randomUUID());
        const partBytes = 5 * 1024 * 1024;
        const size = partBytes + 3;
        const multipart = await t.store.presignMultipart!(key, size, partBytes, 60);
        expect(multipart.parts.map((p) => p.partNumber)).to.deep.equal([1, 2]);
        const etags: Array<{ partNumber: number; etag: string }> = [];
        for (const part of multipart.parts) {
          const body = Buffer.alloc(part.partNumber === 1 ? partBytes : 3, part.partNumber);
          const res = await fetch(part.url, { method: 'PUT', body });
          expect(res.status).to.equal(200);
          etags.push({ partNumber: part.partNumber, etag: res.headers.get('etag')! });
        }
        await t.store.completeMultipart!(key, multipart.uploadId, etags);
        expect(await t.store.size(key)).to.equal(size);
        expect([...(await t.store.readStart(key, 2))]).to.deep.equal([1, 1]);
      });
    }
  });
}

storeContract('local directory', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'neonchat-blobs-'));
  const store = new LocalBlobStore(dir, 'test-secret');
  const statusOf = (err: unknown) => (err instanceof NeonError ? err.httpStatus : 500);
  // The same steps as the api's blob routes (api/src/routes/blob-routes.ts), without HTTP.
  const grantOf = (url: string) => {
    const parsed = new URL(url, 'http://local');
    const key = parsed.pathname.replace('/api/v1/blobs/', '');
    return { key, grant: store.verify(key, Object.fromEntries(parsed.searchParams)) };
  };
  return {
    store,
    async putThrough(url, _headers, bytes) {
      try {
        const { key, grant } = grantOf(url);
        await store.receive(key, Readable.from([bytes]), grant.size!);
        return 200;
      } catch (err) {
        return statusOf(err);
      }
    },
    async getThrough(url) {
      const { key, grant } = grantOf(url);
      const file = await store.openForDownload(key);
      const chunks: Buffer[] = [];
      for await (const chunk of file!.stream) chunks.push(chunk as Buffer);
      const { contentDisposition } = await import('../src/storage/s3-blob-store.js');
      return {
        status: 200,
        headers: new Map([
          ['content-type', grant.ct!],
          ['content-disposition', contentDisposition(grant.disp!, grant.name!)],
        ]),
        body: Buffer.concat(chunks),
      };
    },
    close: () => rm(dir, { recursive: true, force: true }),
  };
});

storeContract('S3 (s3rver on an ephemeral port)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'neonchat-s3rver-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir });
  const { port } = await server.run();
  const store = new S3BlobStore({
    bucket: 'neonchat-test',
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    forcePathStyle: true,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
  });
  await store.client.send(new CreateBucketCommand({ Bucket: 'neonchat-test' }));
  return {
    store,
    async putThrough(url, headers, bytes) {
      // fetch sends the real length; a presigned URL signed for another length is refused by S3.
      return (await fetch(url, { method: 'PUT', headers, body: bytes })).status;
    },
    async getThrough(url) {
      const res = await fetch(url);
      return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
    },
    async close() {
      store.client.destroy();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe('LocalBlobStore signed URLs', () => {
  it('refuses a URL after its expiry, and one whose fields were changed', async () => {
    let now = Date.now();
    const store = new LocalBlobStore(tmpdir(), 'k', () => now);
    const key = uploadKey(randomUUID());
    const put = await store.presignPut(key, 10, 60);
    const query = (url: string) => Object.fromEntries(new URL(url, 'http://x').searchParams);
    expect(store.verify(key, query(put.url)).size).to.equal(10);
    expect(() => store.verify(key, { ...query(put.url), size: '11' })).to.throw(NeonError, /signature/);
    expect(() => store.verify(uploadKey(randomUUID()), query(put.url))).to.throw(NeonError, /signature/);
    expect(() => store.verify('u/../../etc/passwd', query(put.url))).to.throw(NeonError, /signed/);
    now += 61_000;
    expect(() => store.verify(key, query(put.url))).to.throw(NeonError, /expired/);
  });
});
