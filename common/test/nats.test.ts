import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { STREAMS, SUBJECTS, connectNats, createLogger, provisionStreams, uuidv7, verifyStreams } from '@neonchat/common';
import { CO_LOCATED_NATS_GO_ENV, startNats, type RunningServer } from '@neonchat/common/testing';

const settings = { replicas: 1, maxAgeSeconds: 3600, maxBytes: 1024 * 1024 * 64, duplicateWindowSeconds: 60 };

describe('chat streams on nats-server @integration', () => {
  let server: RunningServer;
  let nc: NatsConnection;

  before(async () => {
    server = await startNats();
    nc = await connectNats({ url: server.url, name: 'test', logger: createLogger('test', 'silent') });
  });

  after(async () => {
    await nc?.close();
    await server?.stop();
  });

  it('connects without per-request async traces (their stacks cost more than the publish)', () => {
    expect((nc as unknown as { options: { noAsyncTraces?: boolean } }).options.noAsyncTraces).to.equal(true);
  });

  it('creates the streams idempotently with the configured limits', async () => {
    await provisionStreams(nc, settings);
    await provisionStreams(nc, { ...settings, maxAgeSeconds: 7200 });
    const info = await (await jetstreamManager(nc)).streams.info(STREAMS.chatEvents);
    expect(info.config.subjects).to.deep.equal([SUBJECTS.chatEventsWildcard]);
    expect(info.config.max_age).to.equal(7200 * 1e9);
    expect(info.config.max_bytes).to.equal(settings.maxBytes);
  });

  it('republishes stored events to live.{chat}.events in stream order with their sequence', async () => {
    const chatId = uuidv7();
    const sub = nc.subscribe(SUBJECTS.liveChat(chatId), { max: 3 });
    await nc.flush();
    const js = jetstream(nc);
    const acks = [];
    for (const text of ['a', 'b', 'c']) acks.push(await js.publish(SUBJECTS.chatEvents(chatId), text));
    const got: Array<{ text: string; seq: number; last: number }> = [];
    for await (const m of sub) {
      got.push({ text: m.string(), seq: Number(m.headers?.get('Nats-Sequence')), last: Number(m.headers?.get('Nats-Last-Sequence')) });
    }
    expect(got.map((g) => g.text)).to.deep.equal(['a', 'b', 'c']);
    expect(got.map((g) => g.seq)).to.deep.equal(acks.map((a) => a.seq));
    // Nats-Last-Sequence is the previous event of the same chat: a gap detector for consumers.
    expect(got[1]?.last).to.equal(acks[0]?.seq);
  });

  it('stores a resend with the same message id once', async () => {
    const js = jetstream(nc);
    const chatId = uuidv7();
    const first = await js.publish(SUBJECTS.chatEvents(chatId), 'x', { msgID: 'user:req-1' });
    const again = await js.publish(SUBJECTS.chatEvents(chatId), 'x', { msgID: 'user:req-1' });
    expect(again.duplicate).to.equal(true);
    expect(again.seq).to.equal(first.seq);
  });

  it('lets the services that only verify the streams wait for their owner, and fail clearly without one', async () => {
    const bare = await startNats({ provision: false });
    const own = await connectNats({ url: bare.url, name: 'verify-test', logger: createLogger('test', 'silent') });
    try {
      let failure: unknown;
      await verifyStreams(own, { timeoutMs: 300, logger: createLogger('test', 'silent') }).catch((err: unknown) => (failure = err));
      expect(String(failure)).to.match(/CHAT_EVENTS does not exist.*persister/);
      const waiting = verifyStreams(own, { timeoutMs: 10000, logger: createLogger('test', 'silent') });
      await provisionStreams(own, settings);
      await waiting;
    } finally {
      await own.close();
      await bare.stop();
    }
  });
});

describe('nats-server on a box it shares @integration', () => {
  /** The environment nats-server was started with, from /proc (Linux). */
  function environOf(server: RunningServer): Map<string, string> {
    const pid = execFileSync('pgrep', ['-f', `nats-server .*-p ${server.port} `])
      .toString()
      .trim()
      .split('\n')[0]!;
    const entries = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').filter(Boolean);
    return new Map(entries.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
  }

  it('runs with the co-located Go settings when asked, and with Go defaults otherwise', async () => {
    expect(CO_LOCATED_NATS_GO_ENV).to.deep.equal({ GOMAXPROCS: '1', GOGC: '400' });
    const tuned = await startNats({ provision: false, env: CO_LOCATED_NATS_GO_ENV });
    const plain = await startNats({ provision: false });
    try {
      const env = environOf(tuned);
      expect(env.get('GOMAXPROCS')).to.equal(process.env.GOMAXPROCS ?? '1');
      expect(env.get('GOGC')).to.equal(process.env.GOGC ?? '400');
      expect(environOf(plain).get('GOMAXPROCS')).to.equal(process.env.GOMAXPROCS);
    } finally {
      await tuned.stop();
      await plain.stop();
    }
  });
});
