import { randomUUID } from 'node:crypto';
import { access, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { expect } from 'chai';
import pg from 'pg';
import { TestSocket, testEnvironment, waitFor } from '@neonchat/common/testing';
import { startSystem, http, registerAndLogin, type RunningSystem, createGroup } from '../support/system.js';
import { AttachmentClient, type AttachmentRef, type User } from '../support/attachment-client.js';
import { pngImage } from '../support/files.js';

type Preview = { id: string; sender_id: string; text: string; deleted: boolean; attachments_count: number };
type Msg = { id: string; seq: number; text: string; attachments?: AttachmentRef[]; reply_to?: Preview | null; forwarded_from?: unknown };

const UPLOAD_DIR = join(tmpdir(), `neonchat-e2e-attachments-sharing-${process.pid}`);

/** Replies to messages with files, and forwards of them (issue 29's follow-up). */
describe('attachments in replies and forwards, end to end @integration', function () {
  this.timeout(60_000);
  let system: RunningSystem;
  let files: AttachmentClient;
  let db: pg.Pool;
  const sockets: TestSocket[] = [];

  before(async () => {
    // Retention 0: a deleted message's files go at the next sweep, unless another message shows them.
    system = await startSystem({ UPLOAD_DIR, UPLOAD_DELETED_RETENTION_S: 0 });
    files = new AttachmentClient(system.apiUrl);
    db = new pg.Pool({ connectionString: testEnvironment().databaseUrl, max: 2 });
  });

  after(async () => {
    for (const ws of sockets) ws.close();
    await db?.end();
    await system?.stop();
    await rm(UPLOAD_DIR, { recursive: true, force: true });
  });

  async function socketOf(user: User): Promise<TestSocket> {
    const ws = await TestSocket.open(`${system.wsUrl}?token=${user.token}`);
    sockets.push(ws);
    await ws.next((f) => f.type === 'ready');
    return ws;
  }

  async function send(ws: TestSocket, chatId: string, text: string, extra: Record<string, unknown> = {}): Promise<Msg> {
    const requestId = `m-${randomUUID()}`;
    ws.send({ type: 'message', chat_id: chatId, text, request_id: requestId, ...extra });
    const answer = await ws.next((f) => (f.type === 'message_sent' || f.type === 'error') && f.request_id === requestId);
    if (answer.type === 'error') throw new Error(`refused: ${answer.code as string} ${answer.message as string}`);
    return answer.message as Msg;
  }

  async function history(chatId: string, user: User): Promise<Msg[]> {
    const res = await http<{ messages: Msg[] }>('GET', `${system.apiUrl}/chats/${chatId}/messages?limit=200`, undefined, user.token);
    expect(res.status).to.equal(200);
    return res.body.messages;
  }

  async function persisted(chatId: string, user: User, id: string): Promise<Msg> {
    let found: Msg | undefined;
    await waitFor(
      async () => {
        found = (await history(chatId, user)).find((m) => m.id === id);
        return found !== undefined;
      },
      { what: 'message persisted' },
    );
    return found!;
  }

  const group = (owner: User, members: User[]): Promise<string> => createGroup(system.apiUrl, owner, members);

  async function deleteMessage(chatId: string, messageId: string, user: User): Promise<void> {
    const res = await fetch(`${system.apiUrl}/chats/${chatId}/messages/${messageId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${user.token}` },
    });
    expect(res.status).to.equal(204);
    await waitFor(
      async () => (await db.query('select 1 from messages where id = $1 and deleted_at is not null', [messageId])).rowCount === 1,
      {
        what: 'delete persisted',
      },
    );
  }

  const fileExists = (key: string) =>
    access(join(UPLOAD_DIR, key)).then(
      () => true,
      () => false,
    );

  it("a reply's preview counts the original's files live, in history, open, the replies page and resume", async () => {
    const [alice, bob] = [await registerAndLogin(system.apiUrl), await registerAndLogin(system.apiUrl)];
    const chatId = await group(alice, [bob]);
    const [aliceWs, bobWs] = [await socketOf(alice), await socketOf(bob)];
    const photo = await files.upload(alice, 'p.png', await pngImage(16, 16), 'image/png');
    const notes = await files.upload(alice, 'n.txt', Buffer.from('notes'), 'text/plain');
    const original = await send(aliceWs, chatId, 'two files', { attachments: [photo.id, notes.id] });
    // Stored first: the preview comes from PostgreSQL, not from the stream's tail.
    await persisted(chatId, alice, original.id);

    const reply = await send(bobWs, chatId, 'got them', { reply_to: original.id });
    const preview: Preview = { id: original.id, sender_id: alice.id, text: 'two files', deleted: false, attachments_count: 2 };
    expect(reply.reply_to).to.deep.equal(preview);
    const live = await aliceWs.next((f) => f.type === 'new_message' && (f.message as Msg).id === reply.id);
    expect((live.message as Msg).reply_to).to.deep.equal(preview);
    expect((await persisted(chatId, alice, reply.id)).reply_to).to.deep.equal(preview);

    // A reply stored with a snapshot that said 0 (sent before the gateway counted) reads right too.
    await db.query(`update messages set reply_preview = jsonb_set(reply_preview, '{attachments_count}', '0') where id = $1`, [reply.id]);
    expect((await persisted(chatId, alice, reply.id)).reply_to).to.deep.equal(preview);
    const replies = await http<{ messages: Msg[] }>(
      'GET',
      `${system.apiUrl}/chats/${chatId}/messages/${original.id}/replies`,
      undefined,
      bob.token,
    );
    expect(replies.body.messages.find((m) => m.id === reply.id)?.reply_to).to.deep.equal(preview);
    aliceWs.send({ type: 'open', chat_id: chatId, request_id: 'open-replies' });
    const opened = await aliceWs.next((f) => f.type === 'history' && f.request_id === 'open-replies');
    expect((opened.messages as Msg[]).find((m) => m.id === reply.id)?.reply_to).to.deep.equal(preview);

    // Resume replays the stream's event: the count the gateway put in it.
    const later = await socketOf(alice);
    later.send({ type: 'resume', chat_id: chatId, after_seq: original.seq, request_id: 'resume-replies' });
    const replayed = await later.next((f) => f.type === 'new_message' && (f.message as Msg).id === reply.id);
    expect((replayed.message as Msg).reply_to).to.deep.equal(preview);
  });

  it('forwards a message with its files: the same stored files, for the target chat only, kept while any message shows them', async () => {
    const [alice, bob, carol, dave] = [
      await registerAndLogin(system.apiUrl),
      await registerAndLogin(system.apiUrl),
      await registerAndLogin(system.apiUrl),
      await registerAndLogin(system.apiUrl),
    ];
    const source = await group(alice, [bob]);
    const target = await group(bob, [carol]);
    const [aliceWs, carolWs] = [await socketOf(alice), await socketOf(carol)];
    const photoBytes = await pngImage(64, 48);
    const photo = await files.upload(alice, 'cat.png', photoBytes, 'image/png');
    const notes = await files.upload(alice, 'notes.txt', Buffer.from('forward me'), 'text/plain');
    const original = await send(aliceWs, source, '', { attachments: [photo.id, notes.id] });
    await persisted(source, alice, original.id);
    // Carol is in no chat that shows them yet.
    expect((await files.download(carol, photo.id)).status).to.equal(404);

    const body = { from_chat_id: source, message_ids: [original.id], request_id: 'fw-files' };
    const forwarded = await http<{ messages: Msg[] }>('POST', `${system.apiUrl}/chats/${target}/forward`, body, bob.token);
    expect(forwarded.status, JSON.stringify(forwarded.body)).to.equal(200);
    const copy = forwarded.body.messages[0]!;
    expect(copy.id).to.not.equal(original.id);
    expect(copy.text).to.equal('');
    expect(copy.attachments).to.deep.equal(original.attachments);
    const atCarol = await carolWs.next((f) => f.type === 'new_message' && (f.message as Msg).id === copy.id);
    expect((atCarol.message as Msg).attachments).to.deep.equal(original.attachments);
    expect((await persisted(target, carol, copy.id)).attachments).to.deep.equal(original.attachments);
    // Its own rows, in the target chat, naming the same uploads.
    const rows = await db.query('select upload_id, chat_id from message_attachments where message_id = $1 order by position', [copy.id]);
    expect(rows.rows).to.deep.equal([
      { upload_id: photo.id, chat_id: target },
      { upload_id: notes.id, chat_id: target },
    ]);

    // Carol (the target's member) downloads both; Dave (a member of neither) gets 404.
    const got = await files.download(carol, photo.id);
    expect(got.status).to.equal(200);
    expect(got.bytes!.equals(photoBytes)).to.equal(true);
    expect((await files.download(carol, notes.id)).bytes?.toString()).to.equal('forward me');
    expect((await files.download(dave, photo.id)).status).to.equal(404);
    expect((await files.download(dave, notes.id)).status).to.equal(404);

    // The original deleted and swept: the forward still shows the files.
    await deleteMessage(source, original.id, alice);
    await system.api.attachments.sweeper.sweep();
    expect(await fileExists(`u/${photo.id}`)).to.equal(true);
    expect((await files.download(carol, photo.id)).bytes?.equals(photoBytes)).to.equal(true);
    expect((await db.query('select status from uploads where id = $1', [photo.id])).rows[0].status).to.equal('complete');

    // The forward deleted too: nothing shows them any more, the sweep deletes them.
    await deleteMessage(target, copy.id, bob);
    await system.api.attachments.sweeper.sweep();
    expect(await fileExists(`u/${photo.id}`)).to.equal(false);
    expect(await fileExists(`u/${notes.id}`)).to.equal(false);
    expect((await files.download(carol, photo.id)).status).to.equal(404);
  });
});
