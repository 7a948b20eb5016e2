import { expect } from 'chai';
import {
  ChatSeen,
  MAX_RETRY_MS,
  emptyCounts,
  exactSummary,
  mergeCounts,
  missedSeqs,
  nextGateway,
  readTrackedFrame,
  reconnectDelayMs,
  reconnectUrl,
  stormOver,
  stormWindows,
} from '../src/load/reconnect-math.js';
import { ReconnectTracker } from '../src/load/reconnect-tracker.js';
import { reconnectParams } from '../src/scenarios/reconnect.js';

const CHAT = '0190a000-0000-7000-8000-000000000001';
const GATEWAYS = ['ws://127.0.0.1:4001/ws', 'ws://127.0.0.1:4002/ws', 'ws://127.0.0.1:4003/ws'];

describe('reconnect math (mass reconnect, issue 32)', () => {
  describe('ChatSeen and missedSeqs', () => {
    it('finds an acked seq the socket never saw, across a reconnect', () => {
      const seen = new ChatSeen();
      seen.noteDelivery(3);
      seen.noteDelivery(7); // live before the close
      seen.noteDelivery(12); // replayed by the resume; 9 was never delivered
      expect(missedSeqs([3, 7, 9, 12], seen)).to.deep.equal([9]);
      expect(missedSeqs([3, 7, 12], seen)).to.deep.equal([]);
      expect(missedSeqs([1], undefined)).to.deep.equal([1]);
    });

    it('counts a sender’s own ack as seen, but resumes only after what came in stream order', () => {
      const seen = new ChatSeen();
      seen.noteDelivery(5);
      seen.noteAck(9); // the ack can overtake the live delivery of the peer's seq 8
      expect(seen.has(9)).to.equal(true);
      expect(seen.streamLast).to.equal(5);
      expect(missedSeqs([5, 8, 9], seen)).to.deep.equal([8]);
    });

    it('counts duplicates and gap frames; a gap seq counts as seen', () => {
      const seen = new ChatSeen();
      seen.noteDelivery(4);
      seen.noteDelivery(4);
      seen.noteGap(6);
      expect(seen.duplicates).to.equal(1);
      expect(seen.gapFrames).to.equal(1);
      expect(seen.has(6)).to.equal(true);
      seen.noteResumedTo(10);
      expect(seen.streamLast).to.equal(10);
      seen.noteResumedTo(2);
      expect(seen.streamLast).to.equal(10);
    });
  });

  describe('readTrackedFrame', () => {
    it('reads the frames the tracking needs', () => {
      const message = { id: 'x', chat_id: CHAT, seq: 42, text: '1.0|0.1|' };
      expect(readTrackedFrame(JSON.stringify({ type: 'new_message', message }))).to.deep.equal({ kind: 'message', chatId: CHAT, seq: 42 });
      expect(readTrackedFrame(JSON.stringify({ type: 'message_sent', request_id: 'r', status: 'delivered', message }))).to.deep.equal({
        kind: 'ack',
        chatId: CHAT,
        seq: 42,
      });
      expect(readTrackedFrame(JSON.stringify({ type: 'gap', chat_id: CHAT, seq: 7, reason: 'unsupported_event' }))).to.deep.equal({
        kind: 'gap',
        chatId: CHAT,
        seq: 7,
      });
      expect(readTrackedFrame(JSON.stringify({ type: 'resumed', chat_id: CHAT, count: 3, last_seq: 50 }))).to.deep.equal({
        kind: 'resumed',
        chatId: CHAT,
        count: 3,
        lastSeq: 50,
      });
      expect(readTrackedFrame(JSON.stringify({ type: 'ready', user_id: 'u', connection_id: 'c', chat_ids: [CHAT] }))).to.deep.equal({
        kind: 'ready',
        chatIds: [CHAT],
      });
      expect(
        readTrackedFrame(JSON.stringify({ type: 'error', code: 'resume_too_far', request_id: 'resume.0.1', message: 'm' })),
      ).to.deep.equal({
        kind: 'error',
        code: 'resume_too_far',
        requestId: 'resume.0.1',
      });
    });

    it('ignores other types and frames that break the contract', () => {
      for (const text of [
        '{"type":"presence","user_id":"u"}',
        'not json',
        'null',
        '[1]',
        JSON.stringify({ type: 'new_message', message: { chat_id: CHAT, seq: -1 } }),
        `{"type":"new_message","message":{"chat_id":"${CHAT}","seq":1e309}}`,
        `{"type":"new_message","message":{"chat_id":"${CHAT}","seq":-0}}`.replace('-0', '"-0"'),
        JSON.stringify({ type: 'new_message', message: { chat_id: CHAT, seq: 1.5 } }),
        JSON.stringify({ type: 'new_message' }),
        JSON.stringify({ type: 'ready', chat_ids: [1] }),
        JSON.stringify({ type: 'resumed', chat_id: CHAT, count: '3', last_seq: 1 }),
      ])
        expect(readTrackedFrame(text), text).to.equal(undefined);
    });
  });

  describe('where and when a socket reconnects', () => {
    it('goes round-robin over the other gateways, never back to the one it lost', () => {
      const picks = [0, 1, 2, 3].map((turn) => nextGateway(GATEWAYS, `${GATEWAYS[0]}?token=t`, turn));
      expect(picks).to.deep.equal([GATEWAYS[1], GATEWAYS[2], GATEWAYS[1], GATEWAYS[2]]);
      expect(nextGateway(GATEWAYS.slice(0, 1), GATEWAYS[0]!, 5)).to.equal(GATEWAYS[0]);
      expect(() => nextGateway([], GATEWAYS[0]!, 0)).to.throw('no gateway');
    });

    it('keeps the socket’s token on the new gateway', () => {
      expect(reconnectUrl('ws://127.0.0.1:4001/ws?token=a%2Bb', GATEWAYS[2]!)).to.equal('ws://127.0.0.1:4003/ws?token=a%2Bb');
    });

    it('spreads the first attempt over the jitter, then backs off to a cap', () => {
      expect(reconnectDelayMs(1, 5000, 0)).to.equal(0);
      expect(reconnectDelayMs(1, 5000, 0.5)).to.equal(2500);
      expect(reconnectDelayMs(1, 5000, 0.9999)).to.be.below(5000);
      expect(reconnectDelayMs(1, 0, 0.7)).to.equal(0);
      expect(reconnectDelayMs(2, 5000, 0)).to.equal(250);
      expect(reconnectDelayMs(3, 5000, 0)).to.equal(500);
      expect(reconnectDelayMs(40, 5000, 0)).to.equal(MAX_RETRY_MS);
      expect(reconnectDelayMs(40, 5000, 0.999)).to.be.below(MAX_RETRY_MS + 250);
    });
  });

  describe('figures', () => {
    it('gives exact nearest-rank percentiles', () => {
      const values = Array.from({ length: 200 }, (_, i) => 200 - i); // 200 … 1, unsorted on purpose
      expect(exactSummary(values)).to.deep.equal({ count: 200, p50: 100, p99: 198, max: 200 });
      expect(exactSummary([7])).to.deep.equal({ count: 1, p50: 7, p99: 7, max: 7 });
      expect(exactSummary([])).to.deep.equal({ count: 0, p50: 0, p99: 0, max: 0 });
    });

    it('cuts the seconds before, during and after the storm', () => {
      expect(stormWindows(20, 23, 5)).to.deep.equal({
        before: { from: 15, to: 20 },
        during: { from: 20, to: 24 },
        after: { from: 24, to: 29 },
      });
      // Resumed within the kill's second (or nothing to resume): the storm is that one second.
      expect(stormWindows(20, 18, 5).during).to.deep.equal({ from: 20, to: 21 });
      expect(stormWindows(20, 23, 10, 14).before).to.deep.equal({ from: 14, to: 20 });
    });

    it('merges the workers’ counts and tells when the storm is over', () => {
      const a = { ...emptyCounts(), closes: 3, victimCloses: 3, resumed: 3, lastResumedAtMs: 900, firstCloseAtMs: 100, errors: { x: 1 } };
      const b = {
        ...emptyCounts(),
        closes: 2,
        victimCloses: 2,
        resumed: 1,
        pending: 1,
        lastResumedAtMs: 700,
        firstCloseAtMs: 50,
        errors: { x: 2 },
      };
      const merged = mergeCounts([a, b, emptyCounts()]);
      expect(merged).to.include({ closes: 5, victimCloses: 5, resumed: 4, pending: 1, lastResumedAtMs: 900, firstCloseAtMs: 50 });
      expect(merged.errors).to.deep.equal({ x: 3 });
      expect(stormOver(merged, 5)).to.equal(false);
      expect(stormOver({ ...merged, pending: 0 }, 5)).to.equal(true);
      expect(stormOver({ ...merged, pending: 0 }, 6)).to.equal(false);
    });
  });

  describe('ReconnectTracker (one worker’s bookkeeping)', () => {
    const frame = (f: unknown) => JSON.stringify(f);
    const ready = frame({ type: 'ready', user_id: 'u', connection_id: 'c', chat_ids: [CHAT] });
    const delivery = (seq: number) => frame({ type: 'new_message', message: { chat_id: CHAT, seq } });

    it('resumes after the last seq seen, times the reconnect, and finds a missed message', () => {
      const tracker = new ReconnectTracker({ gatewayUrls: GATEWAYS, spreadMs: 0, victimOrigin: 'ws://127.0.0.1:4001' }, 0);
      const sender = tracker.track(`${GATEWAYS[1]}?token=s`);
      const peer = tracker.track(`${GATEWAYS[0]}?token=p`);
      expect(peer.victim).to.equal(true);
      expect(sender.victim).to.equal(false);
      expect(tracker.onFrame(sender, ready, 0)).to.deep.equal([]);
      expect(tracker.onFrame(peer, ready, 0)).to.deep.equal([]);
      for (const seq of [2, 3, 4]) tracker.onFrame(sender, frame({ type: 'message_sent', message: { chat_id: CHAT, seq } }), 1);
      tracker.onFrame(peer, delivery(2), 1);
      tracker.onClose(peer, 1000);
      expect(tracker.report(false).counts).to.include({ closes: 1, victimCloses: 1, pending: 1 });
      const resumes = tracker.onFrame(peer, ready, 1400).map((t) => JSON.parse(t) as Record<string, unknown>);
      expect(resumes).to.have.length(1);
      expect(resumes[0]).to.include({ type: 'resume', chat_id: CHAT, after_seq: 2 });
      tracker.onFrame(peer, delivery(4), 1450); // the replay leaves out seq 3
      tracker.onFrame(peer, frame({ type: 'resumed', chat_id: CHAT, count: 1, last_seq: 4 }), 1500);
      const { counts, times } = tracker.report(true);
      expect(counts).to.include({ resumed: 1, pending: 0, recovered: 1, lastResumedAtMs: 1500, checked: 6, missed: 1 });
      expect(times).to.deep.equal({ toReadyMs: [400], toResumedMs: [500] });
      tracker.onFrame(peer, delivery(3), 1600);
      expect(tracker.report(true).counts.missed).to.equal(0);
    });

    it('keeps the close time over failed attempts and counts a resume refused', () => {
      const tracker = new ReconnectTracker({ gatewayUrls: GATEWAYS, spreadMs: 0 }, 1);
      const socket = tracker.track(`${GATEWAYS[0]}?token=x`);
      tracker.onFrame(socket, ready, 0);
      tracker.onClose(socket, 100);
      tracker.onClose(socket, 900); // the first attempt failed
      expect(socket.attempt).to.equal(2);
      const [resume] = tracker.onFrame(socket, ready, 1100);
      const requestId = (JSON.parse(resume!) as { request_id: string }).request_id;
      tracker.onFrame(socket, frame({ type: 'error', code: 'unavailable', request_id: requestId, message: 'm' }), 1200);
      const { counts, times } = tracker.report(true);
      expect(counts).to.include({ closes: 1, victimCloses: 0, pending: 1, resumed: 0 });
      expect(counts.errors).to.deep.equal({ resume_unavailable: 1 });
      expect(times!.toReadyMs).to.deep.equal([1000]);
    });
  });
});

describe('reconnectParams (--set of the reconnect scenario)', () => {
  it('sizes --full under the open-file cap: 100,000 sockets over 7 gateways and 7 client workers', () => {
    expect(reconnectParams({ quick: false, params: {} })).to.include({
      sockets: 100000,
      gateways: 7,
      workers: 7,
      rate: 1000,
      signal: 'SIGKILL',
    });
    expect(reconnectParams({ quick: true, params: {} })).to.include({ sockets: 2000, gateways: 3, workers: 2, rate: 100 });
    expect(Object.is(reconnectParams({ quick: true, params: { reconnect_spread_ms: '-0' } }).spreadMs, 0)).to.equal(true);
  });

  it('refuses hostile or impossible values before anything starts', () => {
    const hostile: Array<[string, string]> = [
      ['reconnect_sockets', '1e309'],
      ['reconnect_sockets', ''],
      ['reconnect_sockets', '2000\u0000'],
      ['reconnect_sockets', 'x'.repeat(1024 * 1024)],
      ['reconnect_rate', '1.5'],
      ['reconnect_window_s', '-1'],
      ['reconnect_signal', 'sigkill'],
      ['reconnect_signal', 'SIGHUP'],
    ];
    for (const [key, value] of hostile)
      expect(() => reconnectParams({ quick: true, params: { [key]: value } }), `${key}=${value.slice(0, 20)}`).to.throw(key);
    // 100,000 over 6 gateways would put 20,000 on each survivor: refused.
    expect(() => reconnectParams({ quick: false, params: { reconnect_gateways: '6' } })).to.throw('after the kill');
    expect(() => reconnectParams({ quick: false, params: { reconnect_workers: '2' } })).to.throw('client worker');
  });
});
