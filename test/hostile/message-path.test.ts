/**
 * Hostile input on the paths issue 15's last session changed: the `message` frame whose
 * `message_sent` is now spliced around the stored JSON (not re-serialized), the overload
 * admission in front of it, and client pong frames (which now answer the gateway's lag probes).
 * Every answer is a documented `error` frame, the socket keeps being served, and an ack is only
 * ever sent for what is stored, exactly as stored.
 */
import { expect } from 'chai';
import { TestSocket, waitFor } from '@neonchat/common/testing';
import { startSystem, registerAndLogin, type RunningSystem } from '../support/system.js';
import { DEEP, DOCUMENTED_CODES, MIB, groupChat, raw } from './support.js';

type User = Awaited<ReturnType<typeof registerAndLogin>>;
interface Stored {
  id: string;
  chat_id: string;
  sender_id: string;
  text: string;
  seq: number;
  created_at: string;
  updated_at: string | null;
}

describe('hostile input on the message path changed by issue 15 (session 4) @integration', () => {
  let system: RunningSystem;
  let alice: User;
  let bob: User;
  let group: string;

  before(async () => {
    system = await startSystem({ RATE_LIMIT_PER_MINUTE: 100000 });
    [alice, bob] = await Promise.all([registerAndLogin(system.apiUrl), registerAndLogin(system.apiUrl)]);
    group = await groupChat(system.apiUrl, alice.token, 'group', [bob.id]);
  });

  after(async () => {
    await system?.stop();
  });

  const stored = async (): Promise<Stored[]> => {
    const page = await raw('GET', `${system.apiUrl}/chats/${group}/messages?limit=100`, {
      headers: { authorization: `Bearer ${alice.token}` },
    });
    expect(page.status).to.equal(200);
    return (page.body as { messages: Stored[] }).messages;
  };

  it('message: the spliced ack is the stored message (upper-case chat id, quotes in request_id and text); NUL, 1e309, -0, deep JSON are error frames, 1 MiB drops the socket, and nothing of them is stored', async () => {
    const ws = await TestSocket.open(`${system.wsUrl}?token=${alice.token}`);
    await ws.next((f) => f.type === 'ready');
    // Printable ASCII is a valid request_id, quotes and backslashes included; the text tries to
    // look like the keys the splice adds.
    const requestId = 'q"\\}{,"seq":1';
    const text = 'x","chat_id":"00000000-0000-7000-8000-000000000000","seq":99,"updated_at":"y"} \\ "';
    ws.send({ type: 'message', chat_id: group.toUpperCase(), text, request_id: requestId });
    const ack = await ws.next((f) => f.type === 'message_sent');
    expect(ack.request_id, 'echoed exactly, as valid JSON').to.equal(requestId);
    const message = ack.message as Stored;
    expect(message).to.include({ chat_id: group, sender_id: alice.id, text, updated_at: null });

    const bad: Array<[string, string]> = [
      [JSON.stringify({ type: 'message', chat_id: group, text: 'nul\u0000here', request_id: 'nul' }), 'validation_failed'],
      [`{"type":"message","chat_id":"${group}","text":"big number","request_id":1e309}`, 'validation_failed'],
      [`{"type":"message","chat_id":-0,"text":"minus zero","request_id":"m0"}`, 'validation_failed'],
      // 10,000 deep is 20,000 bytes: over the frame limit before any parse.
      [`{"type":"message","chat_id":"${group}","text":${DEEP},"request_id":"deep"}`, 'payload_too_large'],
      [`{"type":"message","chat_id":"${group}","text":${'['.repeat(5000) + ']'.repeat(5000)},"request_id":"deep5k"}`, 'validation_failed'],
    ];
    for (const [frame, code] of bad) {
      const before = ws.ofType('error').length;
      ws.send(frame);
      const error = await ws.waitNew((f) => f.type === 'error');
      expect(error.code, frame.slice(0, 60)).to.equal(code);
      expect(DOCUMENTED_CODES.has(String(error.code))).to.equal(true);
      expect(ws.ofType('error')).to.have.length(before + 1);
    }
    ws.send({ type: 'ping', request_id: 'still' });
    expect((await ws.next((f) => f.request_id === 'still')).type, 'the socket is still served').to.equal('pong');
    expect(ws.ofType('message_sent'), 'nothing but the one good message acked').to.have.length(1);
    // 1 MiB is past uWS's payload limit (4 × GATEWAY_MAX_FRAME_BYTES): the socket is dropped, as
    // documented for oversized frames, and the gateway serves the next one.
    ws.send(JSON.stringify({ type: 'message', chat_id: group, text: MIB, request_id: 'mib' }));
    expect(await ws.waitClosed()).to.be.oneOf([1006, 1009]);
    const next = await TestSocket.open(`${system.wsUrl}?token=${alice.token}`);
    await next.next((f) => f.type === 'ready');
    next.send({ type: 'ping', request_id: 'next' });
    expect((await next.next((f) => f.request_id === 'next')).type).to.equal('pong');
    await next.close();

    // What was acked is what was stored, field for field, and nothing else was.
    await waitFor(async () => (await stored()).length === 1, { what: 'the acked message persisted' });
    const [row] = await stored();
    expect(row).to.deep.include({ ...message });
  });

  it('pong frames: unsolicited, probe-like, with NUL bytes or at the 125-byte control-frame limit change nothing', async () => {
    const ws = await TestSocket.open(`${system.wsUrl}?token=${bob.token}`);
    await ws.next((f) => f.type === 'ready');
    for (const payload of ['lag0', 'lag1', Buffer.from([0, 0, 0]), Buffer.alloc(125, 0xff), '']) ws.ws.pong(payload);
    // A control frame is at most 125 bytes (RFC 6455): a larger pong cannot even be written.
    expect(() => ws.ws.pong(MIB)).to.throw();
    ws.send({ type: 'ping', request_id: 'after-pongs' });
    expect((await ws.next((f) => f.request_id === 'after-pongs')).type).to.equal('pong');
    const other = await TestSocket.open(`${system.wsUrl}?token=${alice.token}`);
    await other.next((f) => f.type === 'ready');
    other.send({ type: 'message', chat_id: group, text: 'after pongs', request_id: 'ap' });
    await other.next((f) => f.type === 'message_sent');
    expect((await ws.next((f) => f.type === 'new_message')).message).to.include({ text: 'after pongs' });
    await Promise.all([ws.close(), other.close()]);
  });
});
