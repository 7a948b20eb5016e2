import { expect } from 'chai';
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { MessageSentFrame, NewMessageFrame, compileValidator } from '@neonchat/common/contracts';
import { signAccessToken } from '@neonchat/common/runtime';
import { TestSocket, freePort, stopChild, waitFor } from '@neonchat/common/testing';
import { BenchFixtures } from '../src/load/bench-fixtures.js';
import { messageFrames, readMessageFrame, tokenUser } from '../src/floor-gateway.js';
import { DeliveryReader, peekFrame } from '../src/load/frame-peek.js';
import { messageText } from '../src/load/worker-protocol.js';

const FLOOR = fileURLToPath(new URL('../src/floor-gateway.ts', import.meta.url));

/**
 * No V8 coverage for the floor's processes (Node hands NODE_V8_COVERAGE to every child unless
 * the child's env sets it). They load the gateway's and common's modules and run almost none of
 * them, and c8's merge of their coverage with this process's counted those files as mostly
 * uncovered in the whole run (gateway.ts at 31 % of its statements instead of 86 %).
 */
const NO_COVERAGE = { NODE_V8_COVERAGE: '' };

describe('floor gateway (bench baseline)', () => {
  const chatId = randomUUID();
  const senderId = randomUUID();

  it("writes the contract's message_sent and new_message frames, and the load generator reads them as the gateway's", () => {
    const text = messageText(1234.5, '1.42', 64);
    const frames = messageFrames(chatId, senderId, text, 'r-1', 7, new Date('2026-12-01T00:00:00Z'));

    const sent = JSON.parse(frames.sent) as unknown;
    expect(compileValidator(MessageSentFrame).check(sent), frames.sent).to.equal(true);
    const delivered = JSON.parse(frames.delivered) as unknown;
    expect(compileValidator(NewMessageFrame).check(delivered), frames.delivered).to.equal(true);
    expect(delivered).to.deep.include({ type: 'new_message' });
    expect((delivered as NewMessageFrame).message).to.include({ chat_id: chatId, sender_id: senderId, text, seq: 7 });

    const reader = new DeliveryReader();
    const bytes = Buffer.from(frames.delivered);
    expect(reader.read(bytes, 0, bytes.length), 'a delivery on the fast path').to.equal(true);
    expect({ sentAtMs: reader.sentAtMs, key: reader.key }).to.deep.equal({ sentAtMs: 1234.5, key: '1.42' });
    expect(peekFrame(Buffer.from(frames.sent))).to.include({ type: 'message_sent', requestId: 'r-1' });
  });

  it('escapes what the client sent, so a quote in a text or request id cannot break the frame', () => {
    const frames = messageFrames(chatId, senderId, 'a "quoted" \\ text', 'id "x"', 1, new Date());
    expect((JSON.parse(frames.sent) as MessageSentFrame).request_id).to.equal('id "x"');
    expect((JSON.parse(frames.delivered) as NewMessageFrame).message.text).to.equal('a "quoted" \\ text');
  });

  it('answers every frame it does not relay with a contract error code, whatever the bytes', () => {
    const follows = (id: string) => id === chatId;
    const code = (raw: string) => {
      const read = readMessageFrame(raw, follows);
      return 'code' in read ? read.code : 'relayed';
    };
    const message = (fields: string) => `{"type":"message",${fields}}`;
    expect(code(message(`"chat_id":"${chatId}","text":"a\\u0000b","request_id":"r"`)), 'NUL in a text').to.equal('relayed');
    expect(code(message(`"chat_id":"${chatId.toUpperCase()}","text":"t","request_id":"r"`)), 'upper case').to.equal('forbidden');
    expect(code(message(`"chat_id":1e309,"text":"t","request_id":"r"`)), '1e309').to.equal('validation_failed');
    expect(code(message(`"chat_id":"${chatId}","text":"t","request_id":-0`)), '-0').to.equal('validation_failed');
    expect(code('['.repeat(10_000) + ']'.repeat(10_000)), '10,000 deep').to.equal('validation_failed');
    expect(code(`{"type":"message","chat_id":${'['.repeat(10_000)}${']'.repeat(10_000)}}`), 'deep field').to.equal('validation_failed');
    expect(code('null'), 'null').to.equal('validation_failed');
    expect(code('{"type":"typing"}'), 'another type').to.equal('unknown_type');
    expect(code('{"type":'), 'cut JSON').to.equal('validation_failed');
    const relayed = readMessageFrame(message(`"chat_id":"${chatId}","text":"a\\u0000b","request_id":"r"`), follows);
    expect(relayed).to.deep.equal({ chatId, text: 'a\u0000b', requestId: 'r' });
  });

  it("takes the user from a token signed with the bench's secret, and nothing from a forged or garbled one", () => {
    const token = signAccessToken({ id: senderId, username: 'floor' }, 'bench-secret', 60);
    expect(tokenUser(token, 'bench-secret')).to.equal(senderId);
    expect(tokenUser(token, 'another-secret')).to.equal(undefined);
    expect(tokenUser('not.a.token', 'bench-secret')).to.equal(undefined);
    expect(tokenUser('', 'bench-secret')).to.equal(undefined);
  });
});

describe('floor gateway processes (bench baseline, end to end) @integration', function () {
  this.timeout(30000);
  const secret = 'floor-test-secret';
  const floors: Array<{ child: ChildProcess; url: string }> = [];
  let fixtures: BenchFixtures;
  const sockets: TestSocket[] = [];

  const startFloor = async () => {
    const [port, opsPort] = [await freePort(), await freePort()];
    const child = fork(FLOOR, [], {
      env: {
        ...process.env,
        ...NO_COVERAGE,
        GATEWAY_PORT: String(port),
        GATEWAY_METRICS_PORT: String(opsPort),
        JWT_SECRET: secret,
      },
      stdio: 'inherit',
    });
    floors.push({ child, url: `ws://127.0.0.1:${port}/ws` });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${opsPort}/readyz`).catch(() => undefined))?.ok, {
      what: 'the floor server ready',
      timeoutMs: 15000,
    });
    return floors.at(-1)!.url;
  };

  before(() => {
    fixtures = BenchFixtures.open(process.env.DATABASE_URL!, secret);
  });

  after(async () => {
    for (const s of sockets) s.ws.terminate();
    await Promise.all(floors.map((f) => stopChild(f.child)));
    await fixtures.close();
  });

  it("relays a message between two floor processes over NATS: the sender's ack, the partner's delivery, nothing to others", async () => {
    const [urlA, urlB] = [await startFloor(), await startFloor()];
    const [alice, bob, carol] = await fixtures.createUsers(3, 'floor');
    const [chat] = await fixtures.createDirectChats([[alice!, bob!]]);
    const open = async (url: string, token: string) => {
      const socket = await TestSocket.open(`${url}?token=${encodeURIComponent(token)}`);
      sockets.push(socket);
      await socket.next((f) => f.type === 'ready');
      return socket;
    };
    const a = await open(urlA, alice!.token);
    const b = await open(urlB, bob!.token);
    const c = await open(urlB, carol!.token);

    a.send({ type: 'message', chat_id: chat, text: 'over the floor', request_id: 'q1' });
    const sent = await a.next((f) => f.type === 'message_sent');
    expect(sent).to.deep.include({ request_id: 'q1', status: 'delivered' });
    const delivered = await b.next((f) => f.type === 'new_message');
    expect((delivered as unknown as NewMessageFrame).message).to.include({ chat_id: chat, sender_id: alice!.id, text: 'over the floor' });

    // Someone outside the chat may not send to it, and got nothing of it.
    c.send({ type: 'message', chat_id: chat, text: 'intruder', request_id: 'q2' });
    expect(await c.next((f) => f.type === 'error')).to.deep.include({ code: 'forbidden' });
    expect(c.frames.filter((f) => f.type === 'new_message')).to.have.length(0);
    expect(
      a.frames.filter((f) => f.type === 'new_message'),
      'the sender gets its ack, not its own message',
    ).to.have.length(0);
  });

  it('survives hostile frames: 1 MiB or 10,000-deep frames drop only that socket (past maxPayloadLength), the others are answered and it serves on', async () => {
    const url = floors[0]?.url ?? (await startFloor());
    const [dan, erin] = await fixtures.createUsers(2, 'floor');
    const [chat] = await fixtures.createDirectChats([[dan!, erin!]]);
    const open = async (token: string) => {
      const socket = await TestSocket.open(`${url}?token=${encodeURIComponent(token)}`);
      sockets.push(socket);
      await socket.next((f) => f.type === 'ready');
      return socket;
    };
    // Past maxPayloadLength (16 KiB), 1 MiB and 10,000-deep JSON (20 KB) alike: uWS cuts the
    // connection, and the client sees 1006 (no close frame), as with the gateway.
    for (const raw of [
      JSON.stringify({ type: 'message', chat_id: chat, text: 'x'.repeat(1 << 20), request_id: 'big' }),
      '['.repeat(10_000) + ']'.repeat(10_000),
    ]) {
      const dropped = await open(dan!.token);
      dropped.send(raw);
      expect(await dropped.waitClosed()).to.be.oneOf([1006, 1009]);
    }

    const d = await open(dan!.token);
    const e = await open(erin!.token);
    for (const raw of ['null', '[[[]]]', `{"type":"message","chat_id":1e309,"text":"t","request_id":"h"}`]) d.send(raw);
    d.send({ type: 'message', chat_id: chat!.toUpperCase(), text: 't', request_id: 'upper' });
    await d.next((f) => f.type === 'error' && f.request_id === 'upper');
    expect(d.frames.filter((f) => f.type === 'error').map((f) => f.code)).to.deep.equal([
      'validation_failed',
      'validation_failed',
      'validation_failed',
      'forbidden',
    ]);
    d.send({ type: 'message', chat_id: chat, text: 'nul \u0000 here', request_id: 'after' });
    expect(await d.next((f) => f.type === 'message_sent')).to.deep.include({ request_id: 'after' });
    const delivered = (await e.next((f) => f.type === 'new_message')) as unknown as NewMessageFrame;
    expect(delivered.message.text).to.equal('nul \u0000 here');
  });

  it('refuses an upgrade without a token signed with its secret', async () => {
    const url = floors[0]?.url ?? (await startFloor());
    const forged = signAccessToken({ id: randomUUID(), username: 'x' }, 'not-the-secret', 60);
    expect(await TestSocket.refusal(`${url}?token=${encodeURIComponent(forged)}`)).to.equal(401);
  });

  it('exits 0 on SIGTERM', async () => {
    const floor = floors[0]!;
    const exited = new Promise<number | null>((resolve) => floor.child.once('exit', (code) => resolve(code)));
    floor.child.kill('SIGTERM');
    expect(await exited).to.equal(0);
  });
});
