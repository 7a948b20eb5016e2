import { expect } from 'chai';
import type { NatsConnection } from '@nats-io/nats-core';
import { Kvm } from '@nats-io/kv';
import { REVOCATION_BUCKET, RevocationList, connectNats, createLogger, uuidv7 } from '@neonchat/common';
import { startNats, type RunningServer } from '@neonchat/common/testing';
import { waitFor } from '@neonchat/common/testing';

const silent = createLogger('test', 'silent');

describe('revocation list on a JetStream key/value bucket @integration', () => {
  let server: RunningServer;
  let nc: NatsConnection;

  before(async () => {
    server = await startNats();
    nc = await connectNats({ url: server.url, name: 'revocations-test', logger: silent });
  });

  after(async () => {
    await nc?.close();
    await server?.stop();
  });

  it('shares ended sessions and users between lists, and a list started later loads them all', async () => {
    const api = await RevocationList.open(nc, { ttlSeconds: 900, replicas: 1 });
    const gateway = await RevocationList.open(nc, { ttlSeconds: 900, replicas: 1 });
    await Promise.all([api.start(), gateway.start()]);
    const seen: string[] = [];
    gateway.onRevoked((e) => seen.push(e.sessionId ?? `user ${e.userId}`));
    const userId = uuidv7();
    const [sid, other] = [uuidv7(), uuidv7()];
    const iat = Math.floor(Date.now() / 1000) - 5;
    expect(gateway.revoked({ user_id: userId, iat, sid })).to.equal(undefined);
    await api.revokeSessions(userId, [sid]);
    expect(api.revoked({ user_id: userId, iat, sid })).to.equal('session_ended');
    await waitFor(() => gateway.revoked({ user_id: userId, iat, sid }) === 'session_ended', { what: 'the gateway sees the ended session' });
    expect(gateway.revoked({ user_id: userId, iat, sid: other })).to.equal(undefined);
    // Tokens without a session are ended by the user's cut-off; a deleted user's tokens all are.
    await api.revokeUser(userId, false);
    await waitFor(() => gateway.revoked({ user_id: userId, iat }) === 'session_ended', { what: 'the cut-off reaches the gateway' });
    expect(gateway.revoked({ user_id: userId, iat: iat + 3600, sid: other })).to.equal(undefined);
    await api.revokeUser(userId, true);
    await waitFor(() => gateway.revoked({ user_id: userId, iat: iat + 3600, sid: other }) === 'user_deleted', { what: 'deletion' });
    expect(seen).to.include(sid);

    const restarted = await RevocationList.open(nc, { ttlSeconds: 900, replicas: 1 });
    await restarted.start();
    expect(restarted.revoked({ user_id: userId, iat, sid })).to.equal('user_deleted');
    const otherUser = uuidv7();
    expect(restarted.revoked({ user_id: otherUser, iat, sid })).to.equal('session_ended');
    for (const list of [api, gateway, restarted]) list.stop();
  });

  it('ignores entries with a malformed key or value', async () => {
    const kv = await new Kvm(nc).open(REVOCATION_BUCKET);
    await kv.put(`s.${'X'.repeat(36)}`, '{"user_id":"nope","at":1}');
    await kv.put(`s.${uuidv7()}`, 'not json');
    const badUser = uuidv7();
    await kv.put(`u.${badUser}`, JSON.stringify({ before: -1, deleted: 'yes' }));
    const goodUser = uuidv7();
    await kv.put(`u.${goodUser}`, JSON.stringify({ before: 10, deleted: true }));
    const list = await RevocationList.open(nc, { ttlSeconds: 900, replicas: 1 });
    await list.start();
    expect(list.revoked({ user_id: badUser, iat: 0 })).to.equal(undefined);
    expect(list.revoked({ user_id: goodUser, iat: 0 })).to.equal('user_deleted');
    list.stop();
  });

  it('lengthens the bucket when tokens now live longer', async () => {
    const longer = await RevocationList.open(nc, { ttlSeconds: 7200, replicas: 1 });
    const status = await (await new Kvm(nc).open(REVOCATION_BUCKET)).status();
    expect(status.ttl).to.be.at.least(7200 * 1000);
    longer.stop();
  });
});
