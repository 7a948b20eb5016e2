import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { registerAndLogin, uniqueName } from '../../test/support/system.js';
import { browserSuite } from './support/browser-suite.js';
import { expectMessage, register, sendMessage, waitOnline } from './support/browser.js';

/** Usernames are 3–50 of [A-Za-z0-9_.]. */
const name = (prefix: string) => uniqueName(prefix).slice(0, 50);
/** The shortest access token the config accepts (JWT_TTL_S minimum). */
const ACCESS_TTL_S = 60;

const storedSession = async (page: Page) =>
  JSON.parse((await page.evaluate<string | null>("sessionStorage.getItem('neonchat.session')")) ?? 'null') as {
    token: string;
    refresh_token?: string;
  } | null;

describe('web client session refresh in Chromium @integration', function () {
  this.timeout(ACCESS_TTL_S * 1000 + 60_000);
  const suite = browserSuite({ JWT_TTL_S: ACCESS_TTL_S });

  it('keeps a session past the access token lifetime, then Log out ends it on the server', async () => {
    const { system } = suite;
    const bob = await registerAndLogin(system.apiUrl, name('bob'));
    const alice = await suite.userPage();
    await register(alice, name('alice'));
    await alice.getByLabel('Find people').fill(bob.username);
    await alice.locator(`.person[data-user="${bob.username}"]`).click();
    await alice.locator('.chat-header h2', { hasText: bob.username }).waitFor();
    await sendMessage(alice, 'before the token expires');
    await expectMessage(alice, 'before the token expires');
    const first = await storedSession(alice);
    expect(first?.refresh_token, 'the refresh token is kept with the session').to.be.a('string');

    // Past the access token's lifetime: the client refreshed it and the socket follows.
    await alice.waitForTimeout((ACCESS_TTL_S + 5) * 1000);
    expect(await alice.getByRole('button', { name: 'Log in' }).count(), 'no login screen').to.equal(0);
    await waitOnline(alice);
    await sendMessage(alice, 'after the token expired');
    await expectMessage(alice, 'after the token expired');
    const second = await storedSession(alice);
    expect(second?.token).to.be.a('string').and.not.equal(first?.token);
    expect(second?.refresh_token, 'the refresh token rotated').to.not.equal(first?.refresh_token);
    const me = await fetch(`${system.apiUrl}/me`, { headers: { authorization: `Bearer ${second?.token}` } });
    expect(me.status, 'the new token works').to.equal(200);

    // Log out ends the session on the server: its token is refused from now on.
    await alice.getByRole('button', { name: 'Log out', exact: true }).click();
    await alice.getByRole('button', { name: 'Log in' }).waitFor();
    expect(await storedSession(alice)).to.equal(null);
    const after = await fetch(`${system.apiUrl}/me`, { headers: { authorization: `Bearer ${second?.token}` } });
    expect(after.status, 'the logged-out token is refused').to.equal(401);
    const refreshed = await fetch(`${system.apiUrl}/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: second?.refresh_token }),
    });
    expect(refreshed.status, 'the logged-out refresh token is refused').to.equal(401);
    expect(await alice.locator('[data-notice="session-ended"]').count(), 'no "ended elsewhere" notice after Log out').to.equal(0);
  });
});
