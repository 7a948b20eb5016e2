import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import S3rver from 's3rver';
import { CreateBucketCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { TestSocket, testEnvironment, waitFor } from '@neonchat/common/testing';
import { startSystem, http, registerAndLogin, type RunningSystem } from '../support/system.js';
import { AttachmentClient, type User } from '../support/attachment-client.js';
import { pngImage } from '../support/files.js';

const BUCKET = 'neonchat-e2e';

/**
 * The S3 path through the whole system against s3rver (an S3-protocol server on an ephemeral
 * port), and the overwrite window: a presigned PUT stays valid until it expires, after the
 * upload was checked and attached; what it writes then must never be what is served.
 */
describe('attachments on S3 (s3rver), end to end @integration', function () {
  this.timeout(60_000);
  let dir: string;
  let s3rver: S3rver;
  let s3: S3Client;
  let system: RunningSystem;
  let files: AttachmentClient;
  let db: pg.Pool;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'neonchat-e2e-s3rver-'));
    s3rver = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir });
    const { port } = await s3rver.run();
    const endpoint = `http://127.0.0.1:${port}`;
    s3 = new S3Client({
      region: 'us-east-1',
      endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    system = await startSystem({
      S3_BUCKET: BUCKET,
      S3_ENDPOINT: endpoint,
      S3_FORCE_PATH_STYLE: 'true',
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
      // The smallest part S3 takes: a multipart upload of a few MiB.
      UPLOAD_PART_BYTES: 5 * 1024 * 1024,
    });
    files = new AttachmentClient(system.apiUrl);
    db = new pg.Pool({ connectionString: testEnvironment().databaseUrl, max: 2 });
  });

  after(async () => {
    await db?.end();
    await system?.stop();
    s3?.destroy();
    await s3rver?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const exists = (key: string) =>
    s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })).then(
      () => true,
      () => false,
    );

  async function sendWithFile(sender: User, chatId: string, uploadId: string): Promise<void> {
    const ws = await TestSocket.open(`${system.wsUrl}?token=${sender.token}`);
    await ws.next((f) => f.type === 'ready');
    ws.send({ type: 'message', chat_id: chatId, text: 'file', request_id: `s3-${uploadId}`, attachments: [uploadId] });
    const answer = await ws.next((f) => (f.type === 'message_sent' || f.type === 'error') && f.request_id === `s3-${uploadId}`);
    ws.close();
    expect(answer.type, JSON.stringify(answer)).to.equal('message_sent');
  }

  it('uploads, attaches and serves through presigned S3 URLs; bytes PUT again after completion are never served', async () => {
    const [alice, bob] = [await registerAndLogin(system.apiUrl), await registerAndLogin(system.apiUrl)];
    const chatId = (await http<{ id: string }>('POST', `${system.apiUrl}/chats`, { partner_id: bob.id }, alice.token)).body.id;
    const photoBytes = await pngImage(40, 30);
    const photo = await files.upload(alice, 'photo.png', photoBytes, 'image/png');
    expect(photo.ticket.upload_url).to.match(/^http:\/\/127\.0\.0\.1:\d+\//);
    expect(photo).to.deep.include({ content_type: 'image/png', kind: 'image', width: 40, height: 30 });
    // Moved from where the client wrote to the key no URL writes.
    expect(await exists(`s/${photo.id}`)).to.equal(false);
    expect(await exists(`u/${photo.id}`)).to.equal(true);
    await sendWithFile(alice, chatId, photo.id);

    // The presigned PUT is still valid: same size, other bytes (markup that says it is a page).
    const swap = Buffer.alloc(photoBytes.length, 0x20);
    swap.write('<html><script>alert(document.cookie)</script></html>');
    expect((await files.put(photo.ticket, swap)).status).to.equal(200);
    // Completing again changes nothing: the upload is complete.
    const again = await files.complete(alice, photo.id);
    expect(again.status).to.equal(200);
    expect(again.body.content_type).to.equal('image/png');

    // Bob may fetch it once the persister has written the message.
    await waitFor(async () => (await files.download(bob, photo.id)).status === 200, { what: 'message persisted' });
    expect((await files.download(bob, photo.id)).bytes!.equals(photoBytes)).to.equal(true);
    expect((await files.download(alice, photo.id)).bytes!.equals(photoBytes)).to.equal(true);
    // The thumbnail was made from the checked bytes too.
    await system.api.attachments.thumbnails.idle();
    expect((await files.downloadUrl(bob, photo.id, '/thumbnail')).status).to.equal(200);
  });

  it('refuses bytes that are not what was declared and deletes them from both keys', async () => {
    const alice = await registerAndLogin(system.apiUrl);
    const page = Buffer.from('<html><body>not a picture</body></html>');
    const ticket = await files.ask(alice, { name: 'cat.png', size: page.length, content_type: 'image/png' });
    expect((await files.put(ticket.body, page)).status).to.equal(200);
    const done = await files.complete(alice, ticket.body.upload_id);
    expect(done.status).to.equal(400);
    expect(done.body.error?.code).to.equal('validation_failed');
    expect(await exists(`s/${ticket.body.upload_id}`)).to.equal(false);
    expect(await exists(`u/${ticket.body.upload_id}`)).to.equal(false);
    // Nothing uploaded yet: 409, and nothing is marked.
    const empty = await files.ask(alice, { name: 'later.txt', size: 5, content_type: 'text/plain' });
    expect((await files.complete(alice, empty.body.upload_id)).status).to.equal(409);
    expect((await db.query('select status from uploads where id = $1', [empty.body.upload_id])).rows[0].status).to.equal('pending');
  });

  it('the sweep deletes an orphan upload’s file and whatever its URL wrote again after completion', async () => {
    const alice = await registerAndLogin(system.apiUrl);
    const orphan = await files.upload(alice, 'orphan.txt', Buffer.from('left alone'), 'text/plain');
    expect((await files.put(orphan.ticket, Buffer.from('left again'))).status).to.equal(200);
    expect(await exists(`s/${orphan.id}`)).to.equal(true);
    await db.query(`update uploads set created_at = now() - interval '25 hours' where id = $1`, [orphan.id]);
    await system.api.attachments.sweeper.sweep();
    expect(await exists(`u/${orphan.id}`)).to.equal(false);
    expect(await exists(`s/${orphan.id}`)).to.equal(false);
  });

  it('completes a multipart upload assembled at the staging key', async () => {
    const alice = await registerAndLogin(system.apiUrl);
    const partSize = 5 * 1024 * 1024;
    const bytes = Buffer.alloc(partSize + 7, 0x61);
    const ticket = await http<{ upload_id: string; parts: Array<{ part_number: number; url: string }>; part_size: number }>(
      'POST',
      `${system.apiUrl}/uploads`,
      { name: 'big.bin', size: bytes.length, content_type: 'application/octet-stream' },
      alice.token,
    );
    expect(ticket.status).to.equal(201);
    expect(ticket.body.parts.length).to.equal(2);
    const parts: Array<{ part_number: number; etag: string }> = [];
    for (const part of ticket.body.parts) {
      const slice = bytes.subarray((part.part_number - 1) * ticket.body.part_size, part.part_number * ticket.body.part_size);
      const res = await fetch(part.url, { method: 'PUT', body: slice });
      expect(res.status).to.equal(200);
      parts.push({ part_number: part.part_number, etag: res.headers.get('etag')! });
    }
    const done = await http<{ size: number }>('POST', `${system.apiUrl}/uploads/${ticket.body.upload_id}/complete`, { parts }, alice.token);
    expect(done.status, JSON.stringify(done.body)).to.equal(200);
    expect(done.body.size).to.equal(bytes.length);
    expect(await exists(`s/${ticket.body.upload_id}`)).to.equal(false);
    expect(await exists(`u/${ticket.body.upload_id}`)).to.equal(true);
  });
});
