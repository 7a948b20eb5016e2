import { expect } from 'chai';
import type { NatsConnection } from '@nats-io/nats-core';
import { AckPolicy, DeliverPolicy, jetstreamManager } from '@nats-io/jetstream';
import {
  CONSUMERS,
  PersisterEnv,
  STREAMS,
  SUBJECTS,
  connectNats,
  createLogger,
  provisionStreams,
  streamSettingsOf,
} from '@neonchat/common';
import { startNats, testServiceConfig, type RunningServer } from '@neonchat/common/testing';
import { ensurePersisterConsumer, persisterConsumerTuning } from '@neonchat/persister';

describe('persister consumer set-up @integration', function () {
  this.timeout(30000);
  let nats: RunningServer;
  let nc: NatsConnection;
  const settings = { PERSISTER_ACK_WAIT_S: 9, PERSISTER_MAX_ACK_PENDING: 321 };

  beforeEach(async () => {
    nats = await startNats();
    nc = await connectNats({ url: nats.url, name: 'persister-consumer-test', logger: createLogger('test', 'silent') });
    await provisionStreams(nc, streamSettingsOf(testServiceConfig(PersisterEnv)));
  });
  afterEach(async () => {
    await nc.close();
    await nats.stop();
  });

  it('tunes ack wait and max ack pending from the settings, with unlimited deliveries on the server', () => {
    expect(persisterConsumerTuning(settings)).to.deep.equal({ ack_wait: 9e9, max_ack_pending: 321, max_deliver: -1 });
  });

  it('creates an unfiltered durable consumer with explicit acks, and is idempotent when replicas race', async () => {
    const jsm = await jetstreamManager(nc);
    await Promise.all([
      ensurePersisterConsumer(jsm, settings),
      ensurePersisterConsumer(jsm, settings),
      ensurePersisterConsumer(jsm, settings),
    ]);
    const info = await jsm.consumers.info(STREAMS.chatEvents, CONSUMERS.persister);
    expect(info.config.ack_policy).to.equal('explicit');
    expect(info.config.deliver_policy).to.equal('all');
    expect(info.config.ack_wait).to.equal(9e9);
    expect(info.config.max_ack_pending).to.equal(321);
    expect(info.config.max_deliver).to.equal(-1);
    expect(info.config.filter_subject ?? '').to.equal('');
  });

  it('drops the filter of an earlier version’s consumer and applies new settings, keeping its place', async () => {
    const jsm = await jetstreamManager(nc);
    await jsm.consumers.add(STREAMS.chatEvents, {
      durable_name: CONSUMERS.persister,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: SUBJECTS.chatEventsWildcard,
      ack_wait: 30e9,
      max_deliver: 5,
    });
    await ensurePersisterConsumer(jsm, settings);
    const info = await jsm.consumers.info(STREAMS.chatEvents, CONSUMERS.persister);
    expect(info.config.filter_subject ?? '').to.equal('');
    expect(info.config.ack_wait).to.equal(9e9);
    expect(info.config.max_deliver).to.equal(-1);
    expect(info.config.max_ack_pending).to.equal(321);
  });
});
