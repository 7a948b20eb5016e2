import { randomUUID } from 'node:crypto';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { expect } from 'chai';
import pg from 'pg';
import { TestSocket, testEnvironment, waitFor } from '@neonchat/common/testing';
import { startSystem, http, registerAndLogin, type RunningSystem } from '../support/system.js';
import { pngBomb, pngImage } from '../support/files.js';
import type { AttachmentRef, Ticket, User } from '../support/attachment-client.js';

const MAX_BYTES = 2 * 1024 * 1024;
const QUOTA = 6 * 1024 * 1024;
const UPLOAD_DIR = join(tmpdir(), `neonchat-e2e-attachments-${process.pid}`);

describe('attachments through the local store, end to end @integration', function () {
  this.timeout(60_000);
  let system: RunningSystem;
  let db: pg.Pool;
  let origin: string;

  before(async () => {
    system = await startSystem({
      UPLOAD_DIR,
      UPLOAD_MAX_BYTES: MAX_BYTES,
      UPLOAD_QUOTA_BYTES_PER_DAY: QUOTA,
      UPLOAD_IMAGE_MAX_PIXELS: 4_000_000,
      UPLOAD_DELETED_RETENTION_S: 0,
    });
    origin = new URL(system.apiUrl).origin;
    db = new pg.Pool({ connectionString: testEnvironment().databaseUrl, max: 2 });
  });

  after(async () => {
    await db?.end();
    await system?.stop();
  });

  async function ask(user: User, file: { name: string; size: number; content_type: string }) {
    return http<Ticket & { error?: { code: string } }>('POST', `${system.apiUrl}/uploads`, file, user.token);
  }

  async function put(ticket: Ticket, bytes: Buffer | string, url = ticket.upload_url): Promise<Response> {
    return fetch(new URL(url, origin), { method: 'PUT', headers: ticket.headers, body: bytes });
  }

  async function complete(user: User, uploadId: string) {
    return http<AttachmentRef & { error?: { code: string; message: string } }>(
      'POST',
      `${system.apiUrl}/uploads/${uploadId}/complete`,
      {},
      user.token,
    );
  }

  /** Ask, PUT, complete: the upload's reference. */
  async function upload(user: User, name: string, bytes: Buffer, contentType: string): Promise<AttachmentRef> {
    const ticket = await ask(user, { name, size: bytes.length, content_type: contentType });
    expect(ticket.status, JSON.stringify(ticket.body)).to.equal(201);
    expect((await put(ticket.body, bytes)).status).to.equal(200);
    const done = await complete(user, ticket.body.upload_id);
    expect(done.status, JSON.stringify(done.body)).to.equal(200);
    return done.body;
  }

  async function download(user: User, id: string, variant = '') {
    return http<{ url: string; name: string; content_type: string; error?: { code: string } }>(
      'GET',
      `${system.apiUrl}/attachments/${id}${variant}`,
      undefined,
      user.token,
    );
  }

  async function socket(user: User): Promise<TestSocket> {
    const ws = await TestSocket.open(`${system.wsUrl}?token=${user.token}`);
    await ws.next((f) => f.type === 'ready');
    return ws;
  }

  async function directChat(a: User, b: User): Promise<string> {
    return (await http<{ id: string }>('POST', `${system.apiUrl}/chats`, { partner_id: b.id }, a.token)).body.id;
  }

  const fileExists = (key: string) =>
    access(join(UPLOAD_DIR, key)).then(
      () => true,
      () => false,
    );

  it('a photo and a file: presigned, uploaded, attached, fanned out, in history, open and the chat list, downloaded by a member', async () => {
    const alice = await registerAndLogin(system.apiUrl);
    const bob = await registerAndLogin(system.apiUrl);
    const chatId = await directChat(alice, bob);
    const [aliceWs, bobWs] = [await socket(alice), await socket(bob)];

    const photoBytes = await pngImage(640, 480);
    // Declared as the browser may call it; stored as what the bytes are.
    const photo = await upload(alice, 'holiday photo.png', photoBytes, 'IMAGE/PNG');
    expect(photo).to.deep.include({
      name: 'holiday photo.png',
      size: photoBytes.length,
      content_type: 'image/png',
      kind: 'image',
      width: 640,
      height: 480,
      has_thumbnail: true,
    });
    const notes = await upload(alice, 'notes.txt', Buffer.from('plain words\n'), 'text/plain');
    expect(notes).to.deep.include({ content_type: 'text/plain', kind: 'file', has_thumbnail: false });

    aliceWs.send({ type: 'message', chat_id: chatId, text: '', request_id: 'att-1', attachments: [photo.id.toUpperCase(), notes.id] });
    const sent = await aliceWs.next((f) => f.type === 'message_sent' && f.request_id === 'att-1');
    const message = sent.message as { id: string; text: string; attachments: AttachmentRef[] };
    expect(message.text).to.equal('');
    expect(message.attachments.map((a) => a.id)).to.deep.equal([photo.id, notes.id]);
    const atBob = await bobWs.next((f) => f.type === 'new_message');
    expect((atBob.message as { attachments: AttachmentRef[] }).attachments).to.deep.equal(message.attachments);

    // Stored by the persister with the message: history, the rows, the chat list preview.
    const history = async () =>
      (
        await http<{ messages: Array<{ id: string; attachments?: AttachmentRef[] }> }>(
          'GET',
          `${system.apiUrl}/chats/${chatId}/messages`,
          undefined,
          bob.token,
        )
      ).body.messages;
    await waitFor(async () => (await history()).some((m) => m.id === message.id), { what: 'message persisted' });
    expect((await history()).find((m) => m.id === message.id)?.attachments).to.deep.equal(message.attachments);
    const rows = await db.query('select upload_id, position from message_attachments where message_id = $1 order by position', [
      message.id,
    ]);
    expect(rows.rows.map((r) => r.upload_id)).to.deep.equal([photo.id, notes.id]);
    const list = await http<{ chats: Array<{ id: string; last_message: { text: string } }> }>(
      'GET',
      `${system.apiUrl}/chats`,
      undefined,
      bob.token,
    );
    expect(list.body.chats.find((c) => c.id === chatId)?.last_message.text).to.equal('📎 photo');

    // Opening the chat shows them too.
    bobWs.send({ type: 'open', chat_id: chatId, request_id: 'open-1' });
    const opened = await bobWs.next((f) => f.type === 'history');
    const shown = (opened.messages as Array<{ id: string; attachments?: AttachmentRef[] }>).find((m) => m.id === message.id);
    expect(shown?.attachments).to.deep.equal(message.attachments);

    // Bob downloads both: the image inline, the file as an attachment with its name; nosniff on both.
    const photoUrl = await download(bob, photo.id);
    expect(photoUrl.status).to.equal(200);
    const photoGet = await fetch(new URL(photoUrl.body.url, origin));
    expect(photoGet.status).to.equal(200);
    expect(Buffer.from(await photoGet.arrayBuffer()).equals(photoBytes)).to.equal(true);
    expect(photoGet.headers.get('content-type')).to.equal('image/png');
    expect(photoGet.headers.get('x-content-type-options')).to.equal('nosniff');
    expect(photoGet.headers.get('content-disposition')).to.match(/^inline;/);
    const notesGet = await fetch(new URL((await download(bob, notes.id)).body.url, origin));
    expect(await notesGet.text()).to.equal('plain words\n');
    expect(notesGet.headers.get('content-disposition')).to.equal(`attachment; filename="notes.txt"; filename*=UTF-8''notes.txt`);

    // The thumbnail, made off the request path.
    await system.api.attachments.thumbnails.idle();
    const thumb = await download(bob, photo.id, '/thumbnail');
    expect(thumb.status).to.equal(200);
    const thumbGet = await fetch(new URL(thumb.body.url, origin));
    expect(thumbGet.headers.get('content-type')).to.equal('image/webp');
    const thumbMeta = await (await import('sharp')).default(Buffer.from(await thumbGet.arrayBuffer())).metadata();
    expect([thumbMeta.width, thumbMeta.height]).to.deep.equal([320, 240]);
    expect((await download(bob, notes.id, '/thumbnail')).status).to.equal(404);

    // A resend of the same request is the same message, the uploads still its own.
    aliceWs.send({ type: 'message', chat_id: chatId, text: '', request_id: 'att-1', attachments: [photo.id, notes.id] });
    const resent = await aliceWs.waitNew((f) => f.type === 'message_sent' && f.request_id === 'att-1');
    expect((resent.message as { id: string }).id).to.equal(message.id);
    // Another message cannot take them.
    aliceWs.send({ type: 'message', chat_id: chatId, text: 'again', request_id: 'att-2', attachments: [photo.id] });
    const twice = await aliceWs.next((f) => f.type === 'error' && f.request_id === 'att-2');
    expect(twice.code).to.equal('conflict');
    for (const ws of [aliceWs, bobWs]) ws.close();
  });

  it('refuses downloads to non-members and to a member once removed; refuses someone else’s upload id', async () => {
    const [alice, bob, carol] = [
      await registerAndLogin(system.apiUrl),
      await registerAndLogin(system.apiUrl),
      await registerAndLogin(system.apiUrl),
    ];
    const group = await http<{ id: string }>(
      'POST',
      `${system.apiUrl}/chats`,
      { type: 'group', name: 'Files', member_ids: [bob.id] },
      alice.token,
    );
    expect(group.status).to.equal(201);
    const chatId = group.body.id;
    const aliceWs = await socket(alice);
    const doc = await upload(
      alice,
      'report.pdf',
      Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n', 'latin1'),
      'application/pdf',
    );
    expect(doc).to.deep.include({ content_type: 'application/pdf', kind: 'file' });
    aliceWs.send({ type: 'message', chat_id: chatId, text: 'the report', request_id: 'r-1', attachments: [doc.id] });
    const sent = await aliceWs.next((f) => f.type === 'message_sent' && f.request_id === 'r-1');
    await waitFor(async () => (await download(bob, doc.id)).status === 200, { what: 'message persisted and downloadable by bob' });
    expect((await download(carol, doc.id)).status).to.equal(404);

    // Carol sending Alice's upload id: not hers.
    const carolWs = await socket(carol);
    const carolChat = await directChat(carol, alice);
    carolWs.send({ type: 'message', chat_id: carolChat, text: 'mine now', request_id: 'steal', attachments: [doc.id] });
    expect((await carolWs.next((f) => f.type === 'error' && f.request_id === 'steal')).code).to.equal('not_found');

    // Bob removed from the group: no more downloads.
    const removed = await fetch(`${system.apiUrl}/chats/${chatId}/members/${bob.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${alice.token}` },
    });
    expect(removed.status).to.be.lessThan(300);
    expect((await download(bob, doc.id)).status).to.equal(404);
    // The message deleted: its file goes at the next sweep (retention 0 here), and nobody can fetch it.
    const messageId = (sent.message as { id: string }).id;
    const deleted = await fetch(`${system.apiUrl}/chats/${chatId}/messages/${messageId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${alice.token}` },
    });
    expect(deleted.status).to.equal(204);
    await waitFor(
      async () => (await db.query('select 1 from messages where id = $1 and deleted_at is not null', [messageId])).rowCount === 1,
      {
        what: 'delete persisted',
      },
    );
    expect(await fileExists(`u/${doc.id}`)).to.equal(true);
    await system.api.attachments.sweeper.sweep();
    expect(await fileExists(`u/${doc.id}`)).to.equal(false);
    expect((await db.query('select status from uploads where id = $1', [doc.id])).rows[0].status).to.equal('deleted');
    for (const ws of [aliceWs, carolWs]) ws.close();
  });

  it('deletes uploads never attached after a day, and keeps attached ones', async () => {
    const alice = await registerAndLogin(system.apiUrl);
    const orphan = await upload(alice, 'forgotten.txt', Buffer.from('nobody sent me'), 'text/plain');
    const young = await upload(alice, 'just now.txt', Buffer.from('sent soon'), 'text/plain');
    await db.query(`update uploads set created_at = now() - interval '25 hours' where id = $1`, [orphan.id]);
    await system.api.attachments.sweeper.sweep();
    expect(await fileExists(`u/${orphan.id}`)).to.equal(false);
    expect(await fileExists(`u/${young.id}`)).to.equal(true);
    expect((await complete(alice, orphan.id)).status).to.equal(404);
  });

  it('refuses a second completion of an upload while another one checks it', async () => {
    const alice = await registerAndLogin(system.apiUrl);
    const ticket = (await ask(alice, { name: 'race.txt', size: 4, content_type: 'text/plain' })).body;
    expect((await put(ticket, 'race')).status).to.equal(200);
    // Another completion holds the upload's row (as the api's own does while it checks the bytes).
    const holder = await db.connect();
    try {
      await holder.query('begin');
      await holder.query('select 1 from uploads where id = $1 for update', [ticket.upload_id]);
      const busy = await complete(alice, ticket.upload_id);
      expect(busy.status).to.equal(409);
      expect(busy.body.error?.code).to.equal('conflict');
    } finally {
      await holder.query('rollback');
      holder.release();
    }
    expect((await complete(alice, ticket.upload_id)).status).to.equal(200);
  });

  it('holds each user to the daily quota', async () => {
    const alice = await registerAndLogin(system.apiUrl);
    for (let i = 0; i < 3; i++)
      expect((await ask(alice, { name: `big${i}.bin`, size: MAX_BYTES, content_type: 'application/octet-stream' })).status).to.equal(201);
    const over = await ask(alice, { name: 'one-too-many.bin', size: 1, content_type: 'application/octet-stream' });
    expect(over.status).to.equal(429);
    expect(over.body.error?.code).to.equal('rate_limited');
    // Another user is not affected.
    const bob = await registerAndLogin(system.apiUrl);
    expect((await ask(bob, { name: 'mine.bin', size: 1, content_type: 'application/octet-stream' })).status).to.equal(201);
  });

  describe('hostile input', () => {
    let alice: User;
    before(async () => {
      alice = await registerAndLogin(system.apiUrl);
    });

    it('refuses a spoofed content type and deletes the bytes', async () => {
      const bytes = Buffer.from('<html><script>alert(1)</script></html>');
      const ticket = (await ask(alice, { name: 'cat.png', size: bytes.length, content_type: 'image/png' })).body;
      expect((await put(ticket, bytes)).status).to.equal(200);
      const done = await complete(alice, ticket.upload_id);
      expect(done.status).to.equal(400);
      expect(done.body.error?.code).to.equal('validation_failed');
      expect(await fileExists(`u/${ticket.upload_id}`)).to.equal(false);
      // A real PNG declared as a JPEG: refused too.
      const png = await pngImage(8, 8);
      const liar = (await ask(alice, { name: 'x.jpg', size: png.length, content_type: 'image/jpeg' })).body;
      await put(liar, png);
      expect((await complete(alice, liar.upload_id)).status).to.equal(400);
      // HTML declared as HTML is kept only as an opaque download, never text/html.
      const page = (await ask(alice, { name: 'page.html', size: bytes.length, content_type: 'text/html' })).body;
      await put(page, bytes);
      expect((await complete(alice, page.upload_id)).body).to.deep.include({ content_type: 'application/octet-stream', kind: 'file' });
    });

    it('refuses a decompression bomb before decoding it', async () => {
      const bomb = pngBomb();
      const ticket = (await ask(alice, { name: 'bomb.png', size: bomb.length, content_type: 'image/png' })).body;
      await put(ticket, bomb);
      const done = await complete(alice, ticket.upload_id);
      expect(done.status).to.equal(400);
      expect(done.body.error?.message).to.match(/pixels/);
      expect((await http('GET', `${origin}/healthz`)).status).to.equal(200);
    });

    it('refuses file names with ../, NUL or 10,000 characters, and sizes over the limit', async () => {
      for (const name of ['../../etc/passwd', 'a\u0000b.txt', 'x'.repeat(10_000), 'dir\\file.txt', '', 'x'.repeat(1024 * 1024)]) {
        const res = await ask(alice, { name, size: 10, content_type: 'text/plain' });
        expect(res.status, name.slice(0, 20)).to.equal(name.length > 60_000 ? 413 : 400);
      }
      expect((await ask(alice, { name: 'max.bin', size: MAX_BYTES, content_type: 'application/octet-stream' })).status).to.equal(201);
      const over = await ask(alice, { name: 'over.bin', size: MAX_BYTES + 1, content_type: 'application/octet-stream' });
      expect(over.status).to.equal(413);
      expect(over.body.error?.code).to.equal('payload_too_large');
      for (const size of [0, -0.5, 1e308, 'NaN'])
        expect((await ask(alice, { name: 'n.bin', size: size as number, content_type: 'text/plain' })).status).to.equal(400);
      expect((await ask(alice, { name: 'n.bin', size: 10, content_type: 'text/plain\u0000' })).status).to.equal(400);
    });

    it('refuses a size that lies, a tampered or expired URL, bytes after completion', async () => {
      const short = (await ask(alice, { name: 'short.bin', size: 100, content_type: 'application/octet-stream' })).body;
      expect((await put(short, Buffer.alloc(50))).status).to.equal(400);
      expect((await put(short, Buffer.alloc(101))).status).to.equal(413);
      expect((await complete(alice, short.upload_id)).status).to.equal(409);
      expect(await fileExists(`s/${short.upload_id}`)).to.equal(false);

      const tampered = short.upload_url.replace(/size=100/, 'size=1000');
      expect((await put(short, Buffer.alloc(1000), tampered)).status).to.equal(403);
      const expired = short.upload_url.replace(/exp=\d+/, `exp=${Math.floor(Date.now() / 1000) - 1}`);
      expect((await put(short, Buffer.alloc(100), expired)).status).to.equal(403);

      expect((await put(short, Buffer.alloc(100))).status).to.equal(200);
      expect((await complete(alice, short.upload_id)).status).to.equal(200);
      // Checked bytes are final: the URL, still valid, cannot replace them.
      expect((await put(short, Buffer.alloc(100, 1))).status).to.equal(409);
      // The URL signs the staging key: not valid for the checked file's key nor the thumbnail's.
      for (const area of ['u', 't']) {
        expect((await put(short, Buffer.alloc(100), short.upload_url.replace('/blobs/s/', `/blobs/${area}/`))).status).to.equal(403);
      }
      // Hostile paths: an id in upper case is the same id (canonical), anything else a 400.
      expect(
        (await put(short, Buffer.alloc(100), short.upload_url.replace(short.upload_id, short.upload_id.toUpperCase()))).status,
      ).to.equal(409);
      for (const path of ['/blobs/S/', '/blobs/x/', '/blobs/%00/']) {
        expect((await put(short, Buffer.alloc(100), short.upload_url.replace('/blobs/s/', path))).status, path).to.equal(400);
      }
      for (const id of ['%00', 'x'.repeat(10_000), '1e309', '-0']) {
        expect((await put(short, Buffer.alloc(100), short.upload_url.replace(short.upload_id, id))).status, id.slice(0, 10)).to.equal(400);
      }
    });

    it('answers hostile attachments fields in a message frame with error frames', async () => {
      const ws = await socket(alice);
      const bob = await registerAndLogin(system.apiUrl);
      const chatId = await directChat(alice, bob);
      const cases: Array<[unknown, string]> = [
        [['not-a-uuid'], 'validation_failed'],
        [['\u0000'], 'validation_failed'],
        [[], 'validation_failed'],
        [Array.from({ length: 11 }, () => randomUUID()), 'validation_failed'],
        ['RAW:[1e309]', 'validation_failed'],
        ['RAW:[-0]', 'validation_failed'],
        // Over GATEWAY_MAX_FRAME_BYTES (a 1 MiB frame is past uWS's own limit and drops the socket, as for any frame).
        ['x'.repeat(20_000), 'payload_too_large'],
        // JSON nested 10,000 deep (20 KB): past the frame limit before it is parsed.
        [`RAW:${'['.repeat(10_000)}${']'.repeat(10_000)}`, 'payload_too_large'],
        [[randomUUID()], 'not_found'],
      ];
      let n = 0;
      for (const [attachments, code] of cases) {
        const requestId = `h-${n++}`;
        if (typeof attachments === 'string' && attachments.startsWith('RAW:')) {
          ws.send(`{"type":"message","chat_id":"${chatId}","text":"x","request_id":"${requestId}","attachments":${attachments.slice(4)}}`);
        } else ws.send({ type: 'message', chat_id: chatId, text: 'x', request_id: requestId, attachments });
        const error = await ws.waitNew((f) => f.type === 'error' && (f.request_id === requestId || code === 'payload_too_large'));
        expect(error.code, JSON.stringify(attachments).slice(0, 40)).to.equal(code);
      }
      const pending = (await ask(alice, { name: 'p.txt', size: 3, content_type: 'text/plain' })).body;
      ws.send({ type: 'message', chat_id: chatId, text: 'x', request_id: 'pending', attachments: [pending.upload_id] });
      expect((await ws.next((f) => f.type === 'error' && f.request_id === 'pending')).code).to.equal('conflict');
      for (const text of ['', '  ']) {
        ws.send({ type: 'message', chat_id: chatId, text, request_id: `blank${text.length}` });
        expect((await ws.next((f) => f.type === 'error' && f.request_id === `blank${text.length}`)).code).to.equal('validation_failed');
      }
      ws.send({ type: 'ping', request_id: 'alive' });
      await ws.next((f) => f.type === 'pong' && f.request_id === 'alive');
      ws.close();
    });
  });
});
