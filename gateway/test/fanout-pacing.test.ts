import { expect } from 'chai';
import { waitFor, type TestSocket } from '@neonchat/common/testing';
import { GatewayHarness, receivedTexts, seqsOf, type RunningGateway, type TestUser } from './support/gateway-harness.js';

/** The gateway's count of live events that waited for their chat's interval. */
async function pacedTotal(gw: RunningGateway): Promise<number> {
  const line = await gw.gateway.registry.getSingleMetricAsString('neonchat_gateway_fanout_paced_total');
  return Number(line.trim().split('\n').pop()!.split(' ').pop());
}

function inOrderOnce(ws: TestSocket, chatId: string): number[] {
  const seqs = seqsOf(ws, chatId);
  expect(seqs, 'stream order').to.deep.equal([...seqs].sort((a, b) => a - b));
  expect(new Set(seqs).size, 'no duplicates').to.equal(seqs.length);
  return seqs;
}

/**
 * Write coalescing against real uWS, NATS and the stream, with pacing on for any chat of two
 * or more followers and an interval long enough that bursts always wait: every socket must
 * see each chat exactly as without pacing.
 */
describe('gateway fan-out with write coalescing @integration', () => {
  let h: GatewayHarness;
  let gw: RunningGateway;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;

  before(async () => {
    h = await GatewayHarness.start();
    gw = await h.gateway({ GATEWAY_RATE_BURST: 1000, GATEWAY_FANOUT_BATCH_MS: 30, GATEWAY_FANOUT_BATCH_MIN_FOLLOWERS: 2 });
    [alice, bob, carol] = [await h.user(), await h.user(), await h.user()];
  });

  after(async () => {
    await h?.close();
  });

  it('delivers every message of a burst to every follower, in stream order, once, in fewer fan-outs', async () => {
    const chatId = await h.chat('group', [{ user: alice, role: 'admin' }, bob, carol]);
    const sender = await gw.connect(alice);
    const followers = [await gw.connect(alice), await gw.connect(bob), await gw.connect(carol)];
    const before = await pacedTotal(gw);
    const n = 60;
    for (let i = 0; i < n; i++) sender.send({ type: 'message', chat_id: chatId, text: `burst ${i}`, request_id: `b${i}` });
    await h.storeMessages(chatId, carol, 20, (i) => `other ${i}`);
    await sender.next((f) => f.type === 'message_sent' && f.request_id === `b${n - 1}`);
    for (const ws of followers) {
      await waitFor(() => seqsOf(ws, chatId).length === n + 20, { what: 'every message on every follower' });
      inOrderOnce(ws, chatId);
      expect(receivedTexts(ws, chatId).filter((t) => t.startsWith('burst '))).to.deep.equal(
        Array.from({ length: n }, (_, i) => `burst ${i}`),
      );
    }
    expect(seqsOf(sender, chatId), 'the sender gets message_sent, not its own new_message').to.have.length(20);
    expect(await pacedTotal(gw), 'most of the burst waited for an interval').to.be.greaterThan(before + 40);
  });

  it('a socket that connects, opens or resumes during a burst sees the chat with no gap and no duplicate', async () => {
    const chatId = await h.chat('group', [alice, bob, carol]);
    const watchers = [await gw.connect(alice), await gw.connect(carol)];
    const first = await h.storeMessages(chatId, alice, 5, (i) => `first ${i}`);
    const bob1 = await gw.connect(bob);
    await waitFor(() => seqsOf(watchers[0]!, chatId).length === 5);
    // 300 messages in 30 bursts of 10, a few ms apart: each burst waits for the chat's interval.
    const writing = (async () => {
      const out = [];
      for (let b = 0; b < 30; b++) {
        out.push(...(await h.storeMessages(chatId, alice, 10, (i) => `during ${b * 10 + i}`)));
        await new Promise((r) => setTimeout(r, 10));
      }
      return out;
    })();
    // Mid-burst: a new socket comes, one resumes from what it had, one opens the chat.
    await waitFor(() => seqsOf(watchers[0]!, chatId).length > 40, { what: 'the burst under way', intervalMs: 2 });
    const lateBob = await gw.connect(bob);
    bob1.send({ type: 'resume', chat_id: chatId, after_seq: first.at(-1)!.seq, request_id: 'res' });
    const opener = await gw.connect(carol);
    opener.send({ type: 'open', chat_id: chatId, request_id: 'open' });
    const during = await writing;
    const all = [...first, ...during].map((m) => m.seq);
    const last = all.at(-1)!;
    for (const ws of [...watchers, bob1, lateBob, opener]) {
      await waitFor(() => seqsOf(ws, chatId).at(-1) === last, { what: 'the last message everywhere' });
    }
    for (const ws of watchers) expect(inOrderOnce(ws, chatId)).to.deep.equal(all);
    // Connected after the first 5 and resumed from the 5th: the 300 that followed, each once, in
    // order (what it got live before the resume included).
    expect(inOrderOnce(bob1, chatId)).to.deep.equal(all.slice(first.length));
    // Connected mid-burst: a contiguous tail of the chat, ending at the last message.
    const tail = inOrderOnce(lateBob, chatId);
    expect(tail, 'no gap from its first live message on').to.deep.equal(all.slice(all.indexOf(tail[0]!)));
    // Opened mid-burst: history then live, the chat exactly from the history's first message on.
    const at = opener.frames.findIndex((f) => f.type === 'history' && f.request_id === 'open');
    const history = (opener.frames[at]!.messages as Array<{ seq: number }>).map((m) => m.seq);
    const live = opener.frames
      .slice(at + 1)
      .filter((f) => f.type === 'new_message' && (f.message as { chat_id: string }).chat_id === chatId)
      .map((f) => (f.message as { seq: number }).seq);
    const seen = [...history, ...live];
    expect(seen).to.deep.equal(all.slice(all.indexOf(seen[0]!)));
  });
});
