import { expect } from 'chai';
import { TokenRefresher } from '../src/auth/token-refresher.js';
import { ApiError, type RestClient, type Session } from '../src/net/rest-client.js';

const user = { id: '0190a0a0-0000-7000-8000-000000000001', username: 'alice' };
const session: Session = { token: 'a1', refresh_token: 'r1', expires_in: 900, expires_at: Date.now() + 900_000, user };

/** A RestClient standing in for the network: `refresh` answers with `answer`, counting calls. */
function fakeRest(answer: () => Promise<Session & { expires_in: number }>) {
  const rest = { calls: [] as string[], token: null as string | null };
  const client = {
    refresh: (refreshToken: string) => {
      rest.calls.push(refreshToken);
      return answer();
    },
    setToken: (token: string | null) => {
      rest.token = token;
    },
  } as unknown as RestClient;
  return { rest, client };
}

describe('web TokenRefresher', () => {
  it('shares one refresh request between concurrent callers and keeps the rotated session', async () => {
    const { rest, client } = fakeRest(async () => ({ token: 'a2', refresh_token: 'r2', expires_in: 900, user }));
    const saved: Session[] = [];
    const refresher = new TokenRefresher(
      client,
      session,
      (s) => saved.push(s),
      () => expect.fail('not ended'),
    );
    const tokens = await Promise.all([refresher.refresh(), refresher.refresh(), refresher.refresh()]);
    refresher.stop();
    expect(tokens).to.deep.equal(['a2', 'a2', 'a2']);
    expect(rest.calls).to.deep.equal(['r1']);
    expect(rest.token).to.equal('a2');
    expect(saved.map((s) => s.refresh_token)).to.deep.equal(['r2']);
    expect(refresher.token).to.equal('a2');
  });

  it('ends the session when the server refuses the refresh token (401)', async () => {
    const { client } = fakeRest(() => Promise.reject(new ApiError(401, 'unauthorized', 'session ended')));
    let ended = 0;
    const refresher = new TokenRefresher(
      client,
      session,
      () => expect.fail('no session'),
      () => (ended += 1),
    );
    expect(await Promise.all([refresher.refresh(), refresher.refresh()])).to.deep.equal([null, null]);
    refresher.stop();
    expect(ended).to.equal(1);
  });

  it('does not end the session on a network failure', async () => {
    const { client } = fakeRest(() => Promise.reject(new TypeError('Failed to fetch')));
    const refresher = new TokenRefresher(
      client,
      session,
      () => expect.fail('no session'),
      () => expect.fail('not ended'),
    );
    expect(await refresher.refresh()).to.equal(null);
    refresher.stop();
    expect(refresher.token).to.equal('a1');
  });
});
