import { expect } from 'chai';
import { PersisterEnv } from '@neonchat/common';
import { testServiceConfig, waitFor, type TestSocket } from '@neonchat/common/testing';
import { createPersister } from '@neonchat/persister';
import { GatewayHarness, seqsOf, type RunningGateway, type TestUser } from './support/gateway-harness.js';

type Msg = { id: string; seq: number; text: string };

async function persistedCount(h: GatewayHarness, chatId: string): Promise<number> {
  const { rows } = await h.pool.query<{ n: string }>('select count(*) as n from messages where chat_id = $1', [chatId]);
  return Number(rows[0]!.n);
}

/** Runs a persister until the chat has `count` rows, then stops it: what follows stays unpersisted. */
async function persistThenStop(h: GatewayHarness, chatId: string, count: number): Promise<void> {
  const persister = await createPersister(testServiceConfig(PersisterEnv));
  await persister.start();
  try {
    await waitFor(async () => (await persistedCount(h, chatId)) >= count, { what: `${count} rows persisted` });
  } finally {
    await persister.close();
  }
}

/** Seqs of the history (oldest first) then of the new_message frames that followed it. */
function historyThenLive(ws: TestSocket, chatId: string): number[] {
  const at = ws.frames.findIndex((f) => f.type === 'history' && f.chat_id === chatId);
  const history = (ws.frames[at]!.messages as Msg[]).map((m) => m.seq);
  const live = ws.frames
    .slice(at + 1)
    .filter((f) => f.type === 'new_message' && (f.message as { chat_id: string }).chat_id === chatId)
    .map((f) => (f.message as Msg).seq);
  return [...history, ...live];
}

describe('gateway open-chat history and resume @integration', () => {
  let h: GatewayHarness;
  let gw: RunningGateway;
  let alice: TestUser;
  let bob: TestUser;

  before(async () => {
    h = await GatewayHarness.start();
    gw = await h.gateway({ GATEWAY_RATE_BURST: 1000 });
    alice = await h.user();
    bob = await h.user();
  });

  after(async () => {
    await h?.close();
  });

  it('opens a chat with its last 20 messages then live ones, no gap and no duplicate, while messages arrive and the persister lags', async () => {
    const chatId = await h.chat('direct', [alice, bob]);
    const early = await h.storeMessages(chatId, alice, 30, (i) => `early ${i}`);
    await persistThenStop(h, chatId, 30);
    // Stored but not persisted: only the stream has these.
    const unpersisted = await h.storeMessages(chatId, alice, 10, (i) => `tail ${i}`);
    const ws = await gw.connect(bob);
    // Keep writing while the chat opens.
    const writing = h.storeMessages(chatId, alice, 200, (i) => `during ${i}`);
    ws.send({ type: 'open', chat_id: chatId, request_id: 'open-1' });
    const during = await writing;
    const all = [...early, ...unpersisted, ...during].map((m) => m.seq);
    const history = await ws.next((f) => f.type === 'history' && f.request_id === 'open-1');
    expect(history.messages as Msg[]).to.have.length(20);
    expect(history.has_previous).to.equal(true);
    await waitFor(() => historyThenLive(ws, chatId).at(-1) === all.at(-1), { what: 'the last message live' });
    const seen = historyThenLive(ws, chatId);
    const from = all.indexOf(seen[0]!);
    expect(from, 'history starts at a stored message').to.be.at.least(0);
    expect(seen, 'history then live is exactly the chat from there on').to.deep.equal(all.slice(from));
    expect(from, 'the history is the last 20 as of the open').to.be.at.least(all.length - 200 - 20);
  });

  it('sends the history of ?chat_id= right after ready, merged from PostgreSQL and the stream', async () => {
    const chatId = await h.chat('group', [alice, bob]);
    const stored = await h.storeMessages(chatId, bob, 25, (i) => `q ${i}`);
    const ws = await gw.connect(alice, `&chat_id=${chatId}`);
    const history = await ws.next((f) => f.type === 'history' && f.chat_id === chatId);
    expect((history.messages as Msg[]).map((m) => m.text)).to.deep.equal(stored.slice(-20).map((_, i) => `q ${i + 5}`));
    expect(ws.frames[0]!.type).to.equal('ready');
  });

  it('resumes across a gap of 500 messages while the persister is stopped: every missed one, in order, once, then live', async () => {
    const chatId = await h.chat('group', [alice, bob]);
    const ws = await gw.connect(bob);
    const first = await h.storeMessages(chatId, alice, 5, (i) => `before ${i}`);
    await waitFor(() => seqsOf(ws, chatId).length === 5);
    const lastSeen = seqsOf(ws, chatId).at(-1)!;
    await ws.close();

    const missed = await h.storeMessages(chatId, alice, 500, (i) => `missed ${i}`);
    const again = await gw.connect(bob);
    again.send({ type: 'resume', chat_id: chatId, after_seq: lastSeen, request_id: 'res-1' });
    // Once the replay is flowing, what is written is held for the socket and sent after `resumed`, once.
    await again.next((f) => f.type === 'new_message');
    const live = await h.storeMessages(chatId, alice, 50, (i) => `live ${i}`);
    const resumed = await again.next((f) => f.type === 'resumed' && f.request_id === 'res-1', 20000);
    const expected = [...missed, ...live].map((m) => m.seq);
    await waitFor(() => seqsOf(again, chatId).at(-1) === expected.at(-1), { what: 'every message after the gap' });
    expect(seqsOf(again, chatId)).to.deep.equal(expected);
    expect(resumed.count as number).to.be.at.least(500);
    const resumedAt = again.frames.indexOf(resumed);
    const replayed = again.frames.slice(0, resumedAt).filter((f) => f.type === 'new_message');
    expect(replayed).to.have.length(resumed.count as number);
    expect((replayed.at(-1)!.message as Msg).seq).to.equal(resumed.last_seq);
    expect(first.map((m) => m.seq)).to.not.include.members(seqsOf(again, chatId));
  });

  it('resumes after a message id, persisted or only in the stream', async () => {
    const chatId = await h.chat('group', [alice, bob]);
    const stored = await h.storeMessages(chatId, alice, 12, (i) => `id ${i}`);
    await persistThenStop(h, chatId, 12);
    const more = await h.storeMessages(chatId, alice, 8, (i) => `id ${i + 12}`);
    const all = [...stored, ...more];
    const ws = await gw.connect(bob);

    ws.send({ type: 'resume', chat_id: chatId, after_id: all[5]!.id, request_id: 'db' });
    const fromDb = await ws.next((f) => f.type === 'resumed' && f.request_id === 'db');
    expect(fromDb.count).to.equal(14);

    ws.send({ type: 'resume', chat_id: chatId, after_id: all[15]!.id, request_id: 'stream' });
    const fromStream = await ws.next((f) => f.type === 'resumed' && f.request_id === 'stream');
    expect(fromStream.count).to.equal(4);
    expect(fromStream.last_seq).to.equal(all.at(-1)!.seq);
    const seqs = seqsOf(ws, chatId);
    expect(seqs).to.deep.equal([...all.slice(6), ...all.slice(16)].map((m) => m.seq));
  });

  it('tells a client too far behind to reload over REST, and keeps the socket live', async () => {
    const own = await h.gateway({ GATEWAY_RESUME_MAX_EVENTS: 100 });
    const chatId = await h.chat('group', [alice, bob]);
    await h.storeMessages(chatId, alice, 150);
    const ws = await own.connect(bob);
    ws.send({ type: 'resume', chat_id: chatId, after_seq: 0, request_id: 'far' });
    const refused = await ws.next((f) => f.type === 'error' && f.request_id === 'far');
    expect(refused.code).to.equal('resume_too_far');
    expect(refused.message).to.match(/REST/);
    const [next] = await h.storeMessages(chatId, alice, 1, () => 'after refusal');
    await ws.next((f) => f.type === 'new_message' && (f.message as Msg).seq === next!.seq);
    ws.send({ type: 'resume', chat_id: '01a20000-0000-7000-8000-000000000000', after_seq: 0, request_id: 'stranger' });
    expect((await ws.next((f) => f.type === 'error' && f.request_id === 'stranger')).code).to.equal('not_found');
  });
});
