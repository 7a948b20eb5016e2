import { expect } from 'chai';
import pg from 'pg';
import { startCluster, http, registerAndLogin, type Cluster } from './support/cluster.js';
import { LoadClient, sleep } from './support/load-client.js';

/**
 * `make cluster` under load through HAProxy while one NATS node, one gateway and one persister
 * crash (SIGKILL): every message a client got an ack for is in PostgreSQL exactly once.
 */
describe('cluster: crash a NATS node, a gateway and a persister under load @integration @cluster', function () {
  this.timeout(300_000);
  let cluster: Cluster | undefined;

  before(async () => {
    cluster = await startCluster({
      base: 24100,
      name: 'kill',
      env: { RATE_LIMIT_PER_MINUTE: '100000', PERSISTER_ACK_WAIT_S: '5' },
    });
  });

  after(async () => {
    await cluster?.stop();
  });

  it('loses no acked message and stores each once', async () => {
    const c = cluster!;
    const run = `${process.pid}${Date.now().toString(36)}`;
    const SENDERS = 8;
    const clients: LoadClient[] = [];
    const chatIds: string[] = [];
    for (let i = 0; i < SENDERS; i++) {
      const alice = await registerAndLogin(c.apiUrl, `ka_${run}_${i}`);
      const bob = await registerAndLogin(c.apiUrl, `kb_${run}_${i}`);
      const chat = await http<{ id: string }>('POST', `${c.apiUrl}/chats`, { partner_id: bob.id }, alice.token);
      expect(chat.status).to.equal(201);
      chatIds.push(chat.body.id);
      clients.push(new LoadClient(c.wsUrl, alice.token, chat.body.id, `s${i}`));
    }
    await Promise.all(clients.map((client) => client.connect()));

    // 8 clients × 10 messages/s for 15 s; the crashes at 3, 6 and 9 s.
    const crashes: Array<[number, string]> = [
      [3000, 'nats-2'],
      [6000, 'gateway-1'],
      [9000, 'persister-1'],
    ];
    const started = Date.now();
    while (Date.now() - started < 15_000) {
      for (const client of clients) client.tick();
      while (crashes.length && Date.now() - started >= crashes[0]![0]) c.crash(crashes.shift()![1]);
      await sleep(100);
    }
    // Every unacked send is tried again until acked (or 30 s pass).
    const drainUntil = Date.now() + 30_000;
    while (clients.some((client) => client.unacked.length) && Date.now() < drainUntil) {
      for (const client of clients) client.retryStale();
      await sleep(250);
    }
    for (const client of clients) client.close();

    const acked = clients.flatMap((client) => client.acked);
    const unacked = clients.flatMap((client) => client.unacked);
    const ackedIds = acked.map((r) => r.messageId!);

    const db = new pg.Client({ connectionString: c.databaseUrl });
    await db.connect();
    try {
      // The crashed persister's unacked batch is redelivered after the ack wait (5 s here).
      let stored = 0;
      const until = Date.now() + 60_000;
      while (Date.now() < until) {
        const res = await db.query<{ n: string }>('select count(*) as n from messages where id = any($1::uuid[])', [ackedIds]);
        stored = Number(res.rows[0]!.n);
        if (stored === ackedIds.length) break;
        await sleep(500);
      }
      const dup = await db.query<{ text: string; n: string }>(
        'select text, count(*) as n from messages where chat_id = any($1::uuid[]) group by text having count(*) > 1',
        [chatIds],
      );
      const total = await db.query<{ n: string }>('select count(*) as n from messages where chat_id = any($1::uuid[])', [chatIds]);
      const figures = {
        sent: clients.reduce((n, cl) => n + cl.sends, 0),
        resent: clients.reduce((n, cl) => n + cl.resends, 0),
        reconnects: clients.reduce((n, cl) => n + cl.reconnects, 0),
        errorFrames: clients.reduce((n, cl) => n + cl.errors, 0),
        errorCodes: clients.reduce<Record<string, number>>((all, cl) => {
          for (const [code, n] of Object.entries(cl.errorCodes)) all[code] = (all[code] ?? 0) + n;
          return all;
        }, {}),
        acked: acked.length,
        unacked: unacked.length,
        storedOfAcked: stored,
        rowsInChats: Number(total.rows[0]!.n),
        lost: acked.length - stored,
        duplicated: dup.rowCount,
      };
      console.log(`      kill test figures: ${JSON.stringify(figures)}`);
      expect(acked.length, 'a load ran').to.be.greaterThan(300);
      expect(figures.reconnects, 'the crashed gateway dropped some clients, who reconnected').to.be.greaterThan(0);
      expect(figures.lost, 'acked messages missing from PostgreSQL').to.equal(0);
      expect(dup.rows, 'messages stored more than once').to.deep.equal([]);
      // Nothing beyond the requests made is stored (an unacked one may or may not be).
      expect(figures.rowsInChats).to.be.within(acked.length, acked.length + unacked.length);
    } finally {
      await db.end();
    }
  });
});
