import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { SUBJECTS, createLogger, type ChatEvent } from '@neonchat/common';
import {
  BatchProcessor,
  DatabaseHealth,
  createPersisterMetrics,
  parseDeliveries,
  type BatchItem,
  type BatchOutcome,
  type DeadLetterReason,
  type Delivery,
  type Isolated,
} from '@neonchat/persister';

/** A JetStream delivery that records how it was settled. */
class FakeDelivery implements Delivery {
  readonly data: Uint8Array;
  readonly headers = undefined;
  readonly info: { deliveryCount: number; stream: string };
  settled: Array<{ how: 'ack' | 'nak' | 'term'; delayMs?: number }> = [];

  constructor(
    readonly seq: number,
    readonly subject: string,
    payload: string,
    deliveryCount = 1,
  ) {
    this.data = new TextEncoder().encode(payload);
    this.info = { deliveryCount, stream: 'CHAT_EVENTS' };
  }

  static of(seq: number, event: ChatEvent, deliveryCount = 1): FakeDelivery {
    return new FakeDelivery(seq, SUBJECTS.chatEvents(event.chat_id), JSON.stringify(event), deliveryCount);
  }

  ack(): void {
    this.settled.push({ how: 'ack' });
  }
  nak(delayMs?: number): void {
    this.settled.push({ how: 'nak', delayMs });
  }
  term(): void {
    this.settled.push({ how: 'term' });
  }
}

function message(chatId: string, text = 'hi'): ChatEvent {
  return {
    type: 'message.created',
    id: randomUUID(),
    chat_id: chatId,
    sender_id: randomUUID(),
    text,
    created_at: new Date().toISOString(),
  };
}

function sqlError(code: string): Error {
  return Object.assign(new Error(`sqlstate ${code}`), { code });
}

const ok: BatchOutcome = { missingChats: new Set(), parked: 0 };
const settings = { PERSISTER_RETRY_BASE_MS: 100, PERSISTER_RETRY_MAX_MS: 1000, PERSISTER_MAX_DELIVER: 3 };

interface Rig {
  processor: BatchProcessor;
  health: DatabaseHealth;
  writes: Array<readonly BatchItem[]>;
  deadLetters: Array<{ seq: number; reason: DeadLetterReason; error: string }>;
  pausedUntil: number[];
  registry: Registry;
}

function rig(
  write: (items: readonly BatchItem[]) => Promise<BatchOutcome>,
  options: { waiting?: FakeDelivery[]; deadLetterFails?: boolean; closing?: boolean } = {},
): Rig {
  const registry = new Registry();
  const health = new DatabaseHealth();
  const writes: Array<readonly BatchItem[]> = [];
  const deadLetters: Rig['deadLetters'] = [];
  const pausedUntil: number[] = [];
  const processor = new BatchProcessor({
    write: async (items) => {
      writes.push([...items]);
      return write(items);
    },
    publishDeadLetter: async (msg, reason, error) => {
      if (options.deadLetterFails) throw new Error('dead-letter stream unavailable');
      deadLetters.push({ seq: msg.seq, reason, error });
    },
    pauseUntil: (at) => {
      pausedUntil.push(at);
      return options.waiting ?? [];
    },
    isClosing: () => options.closing ?? false,
    health,
    metrics: createPersisterMetrics(registry, () => 0),
    settings,
    logger: createLogger('test', 'silent'),
    now: () => 1_000_000,
  });
  return { processor, health, writes, deadLetters, pausedUntil, registry };
}

async function metric(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const found = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const value = found?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return value?.value ?? 0;
}

describe('parseDeliveries', () => {
  it('keeps one item per stream sequence, joining a redelivery to the event still held', () => {
    const chat = randomUUID();
    const event = message(chat);
    const first = FakeDelivery.of(7, event);
    const again = FakeDelivery.of(7, event, 2);
    const other = FakeDelivery.of(8, message(chat));
    const { items, malformed } = parseDeliveries([first, other, again]);
    expect(malformed).to.deep.equal([]);
    expect(items.map((i) => [i.seq, i.msgs.length])).to.deep.equal([
      [7, 2],
      [8, 1],
    ]);
    expect(items[0]!.msgs).to.deep.equal([first, again]);
    expect(items[0]!.event).to.deep.equal(event);
  });

  it('sets apart bad JSON, what is not a chat event, and a chat id other than the subject’s', () => {
    const chat = randomUUID();
    const badJson = new FakeDelivery(1, SUBJECTS.chatEvents(chat), '{"type":');
    const notEvent = new FakeDelivery(2, SUBJECTS.chatEvents(chat), JSON.stringify({ type: 'message.created', chat_id: chat }));
    const otherChat = new FakeDelivery(3, SUBJECTS.chatEvents(randomUUID()), JSON.stringify(message(chat)));
    const deep = new FakeDelivery(4, SUBJECTS.chatEvents(chat), '['.repeat(10_000) + ']'.repeat(10_000));
    const { items, malformed } = parseDeliveries([badJson, notEvent, otherChat, deep]);
    expect(items).to.deep.equal([]);
    expect(malformed.slice(0, 3).map((m) => [m.msg.seq, m.error])).to.deep.equal([
      [1, 'invalid JSON'],
      [2, 'not a chat event'],
      [3, 'chat_id differs from the subject'],
    ]);
    expect(malformed[3]!.msg).to.equal(deep);
    expect(malformed[3]!.error).to.be.oneOf(['invalid JSON', 'not a chat event']);
  });
});

describe('BatchProcessor', () => {
  const chat = randomUUID();

  it('acks every delivery of a committed batch, once, and counts it by type', async () => {
    const r = rig(async () => ok);
    const a = FakeDelivery.of(1, message(chat));
    const b = FakeDelivery.of(2, message(chat));
    const b2 = new FakeDelivery(2, b.subject, new TextDecoder().decode(b.data), 2);
    await r.processor.process([a, b, b2]);
    expect([a, b, b2].map((d) => d.settled)).to.deep.equal([[{ how: 'ack' }], [{ how: 'ack' }], [{ how: 'ack' }]]);
    expect(r.writes.map((w) => w.length)).to.deep.equal([2]);
    expect(await metric(r.registry, 'neonchat_persister_messages_written_total', { type: 'message.created' })).to.equal(2);
    expect(r.health.healthy).to.equal(true);
  });

  it('acks nothing before the write resolved', async () => {
    let commit!: (o: BatchOutcome) => void;
    const r = rig(() => new Promise<BatchOutcome>((resolve) => (commit = resolve)));
    const a = FakeDelivery.of(1, message(chat));
    const done = r.processor.process([a]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(a.settled).to.deep.equal([]);
    commit(ok);
    await done;
    expect(a.settled).to.deep.equal([{ how: 'ack' }]);
  });

  it('naks everything with a growing delay while PostgreSQL is unavailable, pauses the lanes, and never dead-letters', async () => {
    const waiting = FakeDelivery.of(9, message(chat));
    const r = rig(async () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })), {
      waiting: [waiting],
    });
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      const a = FakeDelivery.of(1, message(chat));
      const b = FakeDelivery.of(2, message(chat));
      await r.processor.process([a, b]);
      expect(a.settled).to.have.length(1);
      expect(a.settled[0]!.how).to.equal('nak');
      expect(b.settled).to.deep.equal(a.settled);
      delays.push(a.settled[0]!.delayMs!);
    }
    expect(delays).to.deep.equal([100, 200, 400]);
    expect(r.writes).to.have.length(3); // not split: the database is away, not the events bad
    expect(r.pausedUntil).to.deep.equal([1_000_100, 1_000_200, 1_000_400]);
    expect(waiting.settled.map((s) => s.delayMs)).to.deep.equal([100, 200, 400]);
    expect(r.deadLetters).to.deep.equal([]);
    expect(r.health.healthy).to.equal(false);
  });

  it('naks at once (no delay) what PostgreSQL could not take while closing', async () => {
    const r = rig(async () => Promise.reject(new Error('Connection terminated unexpectedly')), { closing: true });
    const a = FakeDelivery.of(1, message(chat));
    await r.processor.process([a]);
    expect(a.settled).to.deep.equal([{ how: 'nak', delayMs: 0 }]);
  });

  it('marks PostgreSQL healthy again once a batch commits after an outage', async () => {
    let down = true;
    const r = rig(async () => (down ? Promise.reject(sqlError('57P01')) : ok));
    await r.processor.process([FakeDelivery.of(1, message(chat))]);
    expect(r.health.healthy).to.equal(false);
    down = false;
    await r.processor.process([FakeDelivery.of(2, message(chat))]);
    expect(r.health.healthy).to.equal(true);
    down = true;
    const again = FakeDelivery.of(3, message(chat));
    await r.processor.process([again]);
    expect(again.settled).to.deep.equal([{ how: 'nak', delayMs: 100 }]); // the count started over
  });

  it('splits a refused batch until the bad event is alone: the rest commits, the bad one is dead-lettered', async () => {
    const bad = message(chat, 'bad');
    const r = rig(async (items) => (items.some((i) => i.seq === 3) ? Promise.reject(sqlError('22021')) : ok));
    const deliveries = [1, 2, 3, 4, 5].map((seq) => FakeDelivery.of(seq, seq === 3 ? bad : message(chat)));
    await r.processor.process(deliveries);
    expect(deliveries.map((d) => d.settled.map((s) => s.how).join())).to.deep.equal(['ack', 'ack', 'term', 'ack', 'ack']);
    expect(r.deadLetters).to.deep.equal([{ seq: 3, reason: 'rejected', error: 'sqlstate 22021' }]);
    expect(r.writes.map((w) => w.map((i) => i.seq))).to.deep.equal([[1, 2, 3, 4, 5], [1, 2, 3], [1, 2], [3], [4, 5]]);
    expect(await metric(r.registry, 'neonchat_persister_dead_letters_total', { reason: 'rejected' })).to.equal(1);
    expect(await metric(r.registry, 'neonchat_persister_batch_failures_total', { kind: 'rejected' })).to.equal(3);
  });

  it('dead-letters events of chats that do not exist and commits the rest', async () => {
    const missing = randomUUID();
    const r = rig(async () => ({ missingChats: new Set([missing]), parked: 2 }));
    const good = FakeDelivery.of(1, message(chat));
    const orphan = FakeDelivery.of(2, message(missing));
    await r.processor.process([good, orphan]);
    expect(good.settled).to.deep.equal([{ how: 'ack' }]);
    expect(orphan.settled).to.deep.equal([{ how: 'term' }]);
    expect(r.deadLetters).to.deep.equal([{ seq: 2, reason: 'chat_not_found', error: `chat ${missing} does not exist` }]);
    expect(await metric(r.registry, 'neonchat_persister_parked_changes_total')).to.equal(2);
  });

  it('retries an event that fails on its own with a growing delay, then dead-letters it after PERSISTER_MAX_DELIVER', async () => {
    const r = rig(async () => Promise.reject(sqlError('42703')));
    const event = message(chat);
    const seen = [1, 2, 3].map((n) => FakeDelivery.of(5, event, n));
    for (const d of seen) await r.processor.process([d]);
    expect(seen.map((d) => d.settled)).to.deep.equal([[{ how: 'nak', delayMs: 100 }], [{ how: 'nak', delayMs: 200 }], [{ how: 'term' }]]);
    expect(r.deadLetters).to.deep.equal([{ seq: 5, reason: 'max_deliveries', error: 'sqlstate 42703' }]);
  });

  it('dead-letters malformed deliveries without writing them', async () => {
    const r = rig(async () => ok);
    const junk = new FakeDelivery(4, SUBJECTS.chatEvents(chat), '\u0000');
    await r.processor.process([junk]);
    expect(r.writes).to.deep.equal([]);
    expect(junk.settled).to.deep.equal([{ how: 'term' }]);
    expect(r.deadLetters).to.deep.equal([{ seq: 4, reason: 'malformed', error: 'invalid JSON' }]);
  });

  it('naks (never terms) an event whose dead-letter copy could not be stored', async () => {
    const r = rig(async () => ok, { deadLetterFails: true });
    const junk = new FakeDelivery(4, SUBJECTS.chatEvents(chat), 'nope', 2);
    await r.processor.deadLetter(junk, 'malformed', 'invalid JSON');
    expect(junk.settled).to.deep.equal([{ how: 'nak', delayMs: 200 }]);
    expect(await metric(r.registry, 'neonchat_persister_dead_letters_total', { reason: 'malformed' })).to.equal(0);
  });

  it('writeIsolating stops splitting once PostgreSQL is unavailable: the untried half waits too', async () => {
    let calls = 0;
    const r = rig(async () => {
      calls += 1;
      if (calls === 1) return Promise.reject(sqlError('23505'));
      return Promise.reject(sqlError('08006'));
    });
    const { items } = parseDeliveries([1, 2, 3, 4].map((seq) => FakeDelivery.of(seq, message(chat))));
    const out: Isolated = { committed: [], rejected: [], retry: [], unavailable: [] };
    await r.processor.writeIsolating(items, out);
    expect(calls).to.equal(2);
    expect(out.unavailable.map((i) => i.seq)).to.deep.equal([1, 2, 3, 4]);
    expect(out.committed).to.deep.equal([]);
    expect(out.unavailableError).to.have.property('code', '08006');
  });
});
