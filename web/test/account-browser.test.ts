import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { http, registerAndLogin, uniqueName } from '../../test/support/system.js';
import { seriousViolations, tabTo } from './support/accessibility.js';
import { browserSuite } from './support/browser-suite.js';
import { expectMessage, logIn, openChat, register, sendMessage, waitOnline } from './support/browser.js';

/** Usernames are 3–50 of [A-Za-z0-9_.]. */
const name = (prefix: string) => uniqueName(prefix).slice(0, 50);

const storedSession = async (page: Page) =>
  JSON.parse((await page.evaluate<string | null>("sessionStorage.getItem('neonchat.session')")) ?? 'null') as {
    token: string;
    refresh_token: string;
    user: { id: string; username: string };
  };

/** The login screen with its notice of why the session ended, within `ms`. */
async function backAtLogin(page: Page, notice: string | RegExp, ms = 5_000): Promise<void> {
  await page.locator('[data-notice="session-ended"]', { hasText: notice }).waitFor({ timeout: ms });
  await page.getByRole('button', { name: 'Log in', exact: true }).waitFor();
  expect(await page.evaluate("sessionStorage.getItem('neonchat.session')"), 'the session is forgotten').to.equal(null);
}

async function openAccount(page: Page, sessions: number): Promise<void> {
  await page.getByRole('button', { name: 'Account', exact: true }).click();
  await page.locator('.session[data-current="true"] .this-device').waitFor();
  await page
    .locator('.session')
    .nth(sessions - 1)
    .waitFor();
}

/** Opens the 1:1 chat with `username` through people search. */
async function chatWith(page: Page, username: string): Promise<void> {
  await page.getByLabel('Find people').fill(username);
  await page.locator(`.person[data-user="${username}"]`).click();
  await page.locator('.chat-header h2', { hasText: username }).waitFor();
}

/** Issue 27 in the browser: sessions, password change, blocking, account deletion. */
describe('web client account and sessions in Chromium @integration', function () {
  this.timeout(90_000);
  const suite = browserSuite();
  const userPage = suite.userPage;

  it('lists my sessions with this device marked; ending another sends that tab to login within seconds', async () => {
    const username = name('sam');
    const here = await userPage();
    await register(here, username);
    const there = await userPage();
    await logIn(there, username);

    await openAccount(here, 2);
    expect(await here.locator('.session').count()).to.equal(2);
    expect(await here.locator('.session[data-current="true"]').count(), 'one session is this device').to.equal(1);
    const other = here.locator('.session[data-current="false"]');
    expect(await other.locator('.session-meta').textContent()).to.contain('127.0.0.1');
    expect(await other.locator('.session-main strong').textContent()).to.equal('Chrome on Linux');
    expect(await seriousViolations(here), 'account dialog').to.deep.equal([]);

    const started = Date.now();
    await other.getByRole('button', { name: /^End session/ }).click();
    await backAtLogin(there, 'this session was ended');
    expect(Date.now() - started, 'the other tab is at the login screen within seconds').to.be.below(5_000);
    await here.locator('.session').nth(1).waitFor({ state: 'detached' });
    expect(await here.locator('.account-status', { hasText: 'Logged out on Chrome on Linux' }).count()).to.equal(1);

    // "Log out everywhere else" (keyboard): this tab stays, the other is out again.
    await logIn(there, username);
    await here.keyboard.press('Escape');
    await openAccount(here, 2);
    expect(await tabTo(here, '.end-others', 10), 'reach "Log out everywhere else"').to.equal(true);
    await here.keyboard.press('Enter');
    await backAtLogin(there, 'this session was ended');
    await here.locator('.account-status', { hasText: 'Logged out on 1 other device.' }).waitFor();
    expect(await here.locator('.session').count()).to.equal(1);
    await here.keyboard.press('Escape');
    await waitOnline(here);
  });

  it('a refresh token used twice ends the session: the tab returns to login with the notice', async () => {
    const page = await userPage();
    await register(page, name('reuse'));
    const { refresh_token: stolen } = await storedSession(page);
    const refresh = () => http('POST', `${suite.system.apiUrl}/auth/refresh`, { refresh_token: stolen });
    expect((await refresh()).status, 'the thief rotates it first').to.equal(200);
    expect((await refresh()).status, 'a spent token presented again').to.equal(401);
    await backAtLogin(page, 'used somewhere else');
  });

  it('password change: checked here first, refusals worded, then the other tab is logged out', async () => {
    const username = name('pat');
    const here = await userPage();
    await register(here, username);
    const there = await userPage();
    await logIn(there, username);
    await openAccount(here, 2);
    const current = here.getByLabel('Current password', { exact: true });
    const next = here.getByLabel('New password', { exact: true });
    const repeat = here.getByLabel('Repeat the new password', { exact: true });
    const change = here.getByRole('button', { name: 'Change password', exact: true });
    const error = here.locator('.account-form .form-error').first();

    await current.fill('secret-password');
    await next.fill('short');
    await repeat.fill('short');
    await change.click();
    expect(await error.textContent()).to.equal('The new password is not right: a password is 6–72 characters.');
    await next.fill('better-password');
    await repeat.fill('better-passwort');
    await repeat.press('Enter');
    expect(await error.textContent()).to.equal('The new password and its confirmation are not the same.');
    await current.fill('not-my-password');
    await repeat.fill('better-password');
    await change.click();
    await here.locator('.account-form .form-error', { hasText: 'That is not your current password.' }).waitFor();
    await waitOnline(there);

    await current.fill('secret-password');
    await change.click();
    await here.locator('.account-status', { hasText: 'Password changed. Logged out on 1 other device.' }).waitFor();
    await backAtLogin(there, 'this session was ended');
    await here.locator('.session').nth(1).waitFor({ state: 'detached' });
    expect(await here.locator('.session').count(), 'only this session is left').to.equal(1);
    const login = (password: string) => http('POST', `${suite.system.apiUrl}/auth/login`, { username, password });
    expect((await login('better-password')).status, 'the new password logs in').to.equal(200);
    expect(await current.inputValue(), 'the form is emptied').to.equal('');
  });

  it("block from the 1:1 chat's menu: the other's send is refused and says so; unblock lets it through", async () => {
    const aliceName = name('alice');
    const bobName = name('bob');
    const alice = await userPage();
    const bob = await userPage();
    await register(alice, aliceName);
    await register(bob, bobName);
    await chatWith(alice, bobName);
    await sendMessage(alice, 'hello bob');
    await openChat(bob, aliceName);
    await expectMessage(bob, 'hello bob');

    await alice.getByRole('button', { name: 'Chat options' }).click();
    expect(await seriousViolations(alice), 'chat menu open').to.deep.equal([]);
    await alice.getByRole('menuitem', { name: `Block ${bobName}` }).click();
    await alice.locator('[data-notice="you-blocked"]', { hasText: `You blocked ${bobName}` }).waitFor();

    await sendMessage(bob, 'can you hear me');
    await bob.locator('[data-notice="refused"]', { hasText: `${aliceName} does not accept messages from you` }).waitFor();
    await bob.locator('.msg.failed', { hasText: 'can you hear me' }).waitFor();
    expect(await seriousViolations(bob), 'refused notice').to.deep.equal([]);

    // Unblock from the keyboard: the menu button, Enter opens on its item, Enter unblocks.
    expect(await tabTo(alice, '.chat-menu-button', 30, true), 'reach the chat menu').to.equal(true);
    await alice.keyboard.press('Enter');
    expect(await alice.evaluate("document.activeElement?.getAttribute('role')"), 'focus on the menu item').to.equal('menuitem');
    await alice.keyboard.press('Enter');
    await alice.locator('[data-notice="you-blocked"]').waitFor({ state: 'detached' });
    expect(await alice.evaluate("document.activeElement?.classList.contains('chat-menu-button')"), 'focus kept').to.equal(true);

    await sendMessage(bob, 'after unblock');
    await expectMessage(alice, 'after unblock');
    await bob.locator('[data-notice="refused"]').waitFor({ state: 'detached' });
    const aliceSees = await alice.locator('.messages .msg .text').allTextContents();
    expect(aliceSees, 'the refused message never arrived').to.not.include('can you hear me');
  });

  it('blocked people are listed in the account dialog with Unblock', async () => {
    const carol = await userPage();
    await register(carol, name('carol'));
    const { username: dave } = await registerAndLogin(suite.system.apiUrl, name('dave'));
    await chatWith(carol, dave);
    await carol.getByRole('button', { name: 'Chat options' }).click();
    await carol.getByRole('menuitem', { name: `Block ${dave}` }).click();
    await carol.locator('[data-notice="you-blocked"]').waitFor();
    await openAccount(carol, 1);
    const row = carol.locator(`.blocked-users [data-user="${dave}"]`);
    await row.waitFor();
    await row.getByRole('button', { name: `Unblock ${dave}` }).click();
    await carol.locator('.blocked-users li', { hasText: 'You have not blocked anyone.' }).waitFor();
    await carol.keyboard.press('Escape');
    await carol.locator('[data-notice="you-blocked"]').waitFor({ state: 'detached' });
    expect(await carol.getByRole('button', { name: 'Chat options' }).count()).to.equal(1);
  });

  it('delete account: the username must be typed; afterwards the login screen, and the others see "Deleted account"', async () => {
    const danaApi = await registerAndLogin(suite.system.apiUrl, name('dana'));
    const eveApi = await registerAndLogin(suite.system.apiUrl, name('eve'));
    const danaName = danaApi.username;
    // A group with both (made over REST before they log in), and a 1:1 chat: dana writes in each.
    const group = await http<{ id: string }>(
      'POST',
      `${suite.system.apiUrl}/chats`,
      { type: 'group', name: `Book club ${Date.now()}`, member_ids: [eveApi.id] },
      danaApi.token,
    );
    expect(group.status).to.equal(201);
    const dana = await userPage();
    const eve = await userPage();
    await logIn(dana, danaName);
    await logIn(eve, eveApi.username);
    await chatWith(dana, eveApi.username);
    await sendMessage(dana, 'in our chat');
    await expectMessage(dana, 'in our chat');
    await dana.locator(`.chat-item[data-chat-id="${group.body.id}"]`).click();
    await sendMessage(dana, 'in the group');
    await expectMessage(dana, 'in the group');

    await openAccount(dana, 2);
    const typed = dana.getByLabel(`Type your username (${danaName}) to confirm`);
    const password = dana.locator('.danger-zone').getByLabel('Password', { exact: true });
    const remove = dana.getByRole('button', { name: 'Delete my account' });
    const error = dana.locator('.danger-zone .form-error');
    await typed.fill('someone-else');
    await password.fill('secret-password');
    await remove.click();
    expect(await error.textContent()).to.equal(`Type your username, ${danaName}, exactly to confirm.`);
    await typed.fill(danaName);
    await password.fill('wrong-password');
    await remove.click();
    await dana.locator('.danger-zone .form-error', { hasText: 'That is not your current password.' }).waitFor();
    await password.fill('secret-password');
    await remove.click();
    await backAtLogin(dana, 'Your account was deleted.');

    // Eve, after a reload: the 1:1 chat and the group's author are "Deleted account".
    await eve.reload();
    await waitOnline(eve);
    await eve.locator('.chat-item[data-title="Deleted account"]').waitFor();
    await openChat(eve, 'Deleted account');
    await expectMessage(eve, 'in our chat');
    await eve.locator(`.chat-item[data-chat-id="${group.body.id}"]`).click();
    await expectMessage(eve, 'in the group');
    await eve.locator('.msg .author', { hasText: 'Deleted account' }).waitFor();
    expect(await eve.locator('.msg .author', { hasText: 'deleted:' }).count(), 'no placeholder name shown').to.equal(0);

    // The name is free again.
    await register(dana, danaName);
  });
});
