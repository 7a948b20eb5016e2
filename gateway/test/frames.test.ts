import { expect } from 'chai';
import { CLOSE_CODES } from '@neonchat/common';
import { waitFor } from '@neonchat/common/testing';
import { GatewayHarness, type RunningGateway, type TestUser } from './support/gateway-harness.js';

async function rateLimitedCloses(gw: RunningGateway): Promise<number> {
  const metric = await gw.gateway.registry.getSingleMetric('neonchat_gateway_connections_closed_total')?.get();
  return metric?.values.find((v) => v.labels.reason === 'rate_limited')?.value ?? 0;
}

describe('gateway frame validation and protection @integration', () => {
  let h: GatewayHarness;
  let gw: RunningGateway;
  let alice: TestUser;
  let bob: TestUser;
  let chatId: string;

  before(async () => {
    h = await GatewayHarness.start();
    gw = await h.gateway({ GATEWAY_MAX_FRAME_BYTES: 8192, GATEWAY_RATE_PER_SECOND: 5, GATEWAY_RATE_BURST: 30 });
    alice = await h.user();
    bob = await h.user();
    chatId = await h.chat('direct', [alice, bob]);
  });

  after(async () => {
    await h?.close();
  });

  it('answers each bad frame with an error frame with a stable code, and the socket keeps working', async () => {
    const ws = await gw.connect(alice);
    const cases: Array<[string | object, string]> = [
      ['{not json', 'validation_failed'],
      ['[1,2,3]', 'validation_failed'],
      ['"just a string"', 'validation_failed'],
      [{ type: 'no_such_frame', request_id: 'u1' }, 'unknown_type'],
      [{ request_id: 'u2' }, 'unknown_type'],
      [{ type: 'message', chat_id: 'not-a-uuid', text: 'x', request_id: 'v1' }, 'validation_failed'],
      [{ type: 'message', chat_id: chatId, text: 42, request_id: 'v2' }, 'validation_failed'],
      [{ type: 'message', chat_id: chatId, text: '   \n\t ', request_id: 'v3' }, 'validation_failed'],
      [{ type: 'message', chat_id: chatId, text: 'x'.repeat(4097), request_id: 'v4' }, 'validation_failed'],
      [{ type: 'message', chat_id: chatId, text: 'no request id' }, 'validation_failed'],
      [{ type: 'typing', chat_id: chatId, is_typing: 'yes' }, 'validation_failed'],
      [{ type: 'message', chat_id: chatId, text: 'y'.repeat(9000), request_id: 'big' }, 'payload_too_large'],
    ];
    for (const [frame, code] of cases) {
      const before = ws.ofType('error').length;
      ws.send(frame);
      ws.send({ type: 'ping', request_id: `after-${before}` });
      await ws.next((f) => f.type === 'pong' && f.request_id === `after-${before}`);
      const errors = ws.ofType('error');
      expect(errors, `one error for ${JSON.stringify(frame).slice(0, 60)}`).to.have.length(before + 1);
      expect(errors[before]!.code, JSON.stringify(frame).slice(0, 60)).to.equal(code);
    }
    expect(
      ws.ofType('error').find((e) => e.request_id === 'v1'),
      'request_id is echoed',
    ).to.exist;
    ws.send({ type: 'message', chat_id: chatId, text: 'still here', request_id: 'ok' });
    const sent = await ws.next((f) => f.type === 'message_sent' && f.request_id === 'ok');
    expect((sent.message as { text: string }).text).to.equal('still here');
  });

  it('drops the connection (1006, no close frame: uWS) on a frame too large to even read', async () => {
    const user = await h.user();
    const ws = await gw.connect(user);
    ws.send('x'.repeat(4 * 8192 + 1));
    expect(await ws.waitClosed()).to.equal(1006);
  });

  it('answers the text of 4096 characters (after trimming) and trims it', async () => {
    const ws = await gw.connect(bob);
    ws.send({ type: 'message', chat_id: chatId, text: `  ${'z'.repeat(4096)}  `, request_id: 'max' });
    const sent = await ws.next((f) => f.type === 'message_sent' && f.request_id === 'max');
    expect((sent.message as { text: string }).text).to.have.length(4096);
  });

  it('refuses frames over the rate with rate_limited, then closes a client that keeps flooding with 4029', async () => {
    const user = await h.user();
    const ws = await gw.connect(user);
    for (let i = 0; i < 40; i++) ws.send({ type: 'ping', request_id: `p${i}` });
    await ws.next((f) => f.type === 'error' && f.code === 'rate_limited');
    expect(ws.ofType('pong').length).to.be.within(30, 32);
    expect(ws.closeCode).to.equal(undefined);
    const closedBefore = await rateLimitedCloses(gw);
    for (let i = 0; i < 100; i++) ws.send({ type: 'ping' });
    expect(await ws.waitClosed()).to.equal(CLOSE_CODES.rateLimited);
    // One close, counted once (by the close handler), not also where it was decided.
    await waitFor(async () => (await rateLimitedCloses(gw)) > closedBefore, { what: 'the close to be counted' });
    expect((await rateLimitedCloses(gw)) - closedBefore).to.equal(1);
  });
});
