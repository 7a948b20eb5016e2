import { expect } from 'chai';
import { headers as natsHeaders, type Msg, type NatsConnection } from '@nats-io/nats-core';
import {
  EncodedHeaders,
  HeaderView,
  connectNats,
  createLogger,
  createdMessageJson,
  messageFromCreatedEvent,
  messageSentFrameJson,
  newMessageFrameJson,
  uuidv7,
  type MessageCreatedEvent,
} from '@neonchat/common';
import { startNats, type RunningServer } from '@neonchat/common/testing';

const logger = createLogger('test', 'silent');

describe('wire forms made without a parse or a map', () => {
  describe('EncodedHeaders', () => {
    it('writes the same bytes as nats-core for the same headers', () => {
      const pairs: Array<[string, string]> = [
        ['Neon-Origin-Connection', 'c-1'],
        ['Nats-Msg-Id', 'a:b:req-1'],
      ];
      const theirs = natsHeaders();
      for (const [k, v] of pairs) theirs.set(k, v);
      expect(Buffer.from(EncodedHeaders.of(pairs)!.encode()).toString()).to.equal(
        Buffer.from((theirs as unknown as EncodedHeaders).encode()).toString(),
      );
    });

    it('declines what it cannot write as is (the caller falls back to nats-core)', () => {
      expect(EncodedHeaders.of([['A', 'x\r\nInjected: 1']])).to.equal(undefined);
      expect(EncodedHeaders.of([['A', 'x\n']])).to.equal(undefined);
      expect(EncodedHeaders.of([['A', 'é']])).to.equal(undefined);
      expect(EncodedHeaders.of([['A:B', 'x']])).to.equal(undefined);
      expect(EncodedHeaders.of([['', 'x']])).to.equal(undefined);
      expect(EncodedHeaders.of([['A', 'x:y z']])).to.not.equal(undefined);
    });
  });

  describe('on nats-server @integration', () => {
    let server: RunningServer;
    let nc: NatsConnection;

    before(async () => {
      server = await startNats();
      nc = await connectNats({ url: server.url, name: 'wire-forms-test', logger });
    });

    after(async () => {
      await nc?.close();
      await server?.stop();
    });

    async function roundTrip(publish: (subject: string) => void): Promise<Msg> {
      const subject = `wire.${uuidv7()}`;
      const got = new Promise<Msg>((resolve) => {
        const sub = nc.subscribe(subject, { callback: (_err, msg) => (sub.unsubscribe(), resolve(msg)) });
      });
      await nc.flush();
      publish(subject);
      return got;
    }

    it('EncodedHeaders arrive as headers, and HeaderView reads them as nats-core does (fast path taken)', async () => {
      const headers = EncodedHeaders.of([
        ['Nats-Sequence', '42'],
        ['Nats-Last-Sequence', '41'],
        ['Neon-Origin-Connection', ' padded '],
      ])!;
      const msg = await roundTrip((subject) => nc.publish(subject, 'body', { headers: headers.asMsgHdrs() }));
      const view = HeaderView.of(msg);
      expect(view.fast, 'nats-core internals as expected: the fast path is used').to.equal(true);
      for (const name of ['Nats-Sequence', 'Nats-Last-Sequence', 'Neon-Origin-Connection', 'Missing', 'Nats-Seq']) {
        expect(view.get(name), name).to.equal(msg.headers?.get(name) || undefined);
      }
      expect(view.get('Nats-Sequence')).to.equal('42');
      expect(view.get('Neon-Origin-Connection')).to.equal('padded');
      expect(msg.string()).to.equal('body');
    });

    it('HeaderView: a message without headers has none; an unknown message shape falls back to msg.headers', async () => {
      const msg = await roundTrip((subject) => nc.publish(subject, 'plain'));
      const view = HeaderView.of(msg);
      expect(view.fast).to.equal(true);
      expect(view.get('Nats-Sequence')).to.equal(undefined);
      const theirs = natsHeaders();
      theirs.set('Nats-Sequence', '7');
      const fake = { headers: theirs } as unknown as Msg;
      const fallback = HeaderView.of(fake);
      expect(fallback.fast).to.equal(false);
      expect(fallback.get('Nats-Sequence')).to.equal('7');
      expect(fallback.get('Other')).to.equal(undefined);
    });
  });

  describe('frames spliced from a created event’s JSON', () => {
    const event: MessageCreatedEvent = {
      type: 'message.created',
      id: uuidv7(),
      chat_id: uuidv7(),
      sender_id: uuidv7(),
      text: 'quote " backslash \\ tab \t emoji 😀 "chat_id":"x"',
      created_at: new Date().toISOString(),
    };
    const json = JSON.stringify(event);

    it('message_sent and new_message equal the frames made from the object', () => {
      const message = createdMessageJson(json, event.chat_id, 9)!;
      expect(JSON.parse(message)).to.deep.equal(messageFromCreatedEvent(event, 9));
      expect(JSON.parse(messageSentFrameJson('req "1"', message))).to.deep.equal({
        type: 'message_sent',
        request_id: 'req "1"',
        status: 'delivered',
        message: messageFromCreatedEvent(event, 9),
      });
      expect(JSON.parse(newMessageFrameJson(message))).to.deep.equal({ type: 'new_message', message: messageFromCreatedEvent(event, 9) });
    });

    it('declines JSON of another chat or another shape', () => {
      expect(createdMessageJson(json, uuidv7(), 1)).to.equal(undefined);
      expect(createdMessageJson(JSON.stringify({ ...event, type: 'message.updated' }), event.chat_id, 1)).to.equal(undefined);
      expect(createdMessageJson(JSON.stringify({ ...event, seq: 3 }), event.chat_id, 1)).to.equal(undefined);
      expect(createdMessageJson(json.slice(0, -1), event.chat_id, 1)).to.equal(undefined);
    });
  });
});
