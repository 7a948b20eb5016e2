import { expect } from 'chai';
import { http, registerAndLogin, uniqueName } from '../../test/support/system.js';
import { browserSuite } from './support/browser-suite.js';
import { expectMessage, logIn, openChat, sendMessage, waitOnline } from './support/browser.js';

const name = (prefix: string) => uniqueName(prefix).slice(0, 50);

/** Issue 28: what the server says shows at once, and is still right after a reload. */
describe('web client live updates in Chromium @integration', function () {
  this.timeout(60_000);
  // A reload takes longer than the other browser tests' 200 ms grace: with the default-like
  // grace here, a reloaded page's user never goes offline in between, as in production.
  const suite = browserSuite({ PRESENCE_OFFLINE_GRACE_MS: 5000 });
  const userPage = suite.userPage;

  /** Two people logged in, each with their 1:1 chat open. */
  const pair = async (prefix: string) => {
    const a = await registerAndLogin(suite.system.apiUrl, name(`${prefix}_a`));
    const b = await registerAndLogin(suite.system.apiUrl, name(`${prefix}_b`));
    const chat = await http<{ id: string }>('POST', `${suite.system.apiUrl}/chats`, { partner_id: b.id }, a.token);
    const [aPage, bPage] = [await userPage(), await userPage()];
    await logIn(aPage, a.username);
    await logIn(bPage, b.username);
    await openChat(aPage, b.username);
    await openChat(bPage, a.username);
    return { a, b, aPage, bPage, chatId: chat.body.id };
  };

  it('shows a chat the moment we are added, follows role changes, and drops it when we are removed: on every tab', async () => {
    const owner = await registerAndLogin(suite.system.apiUrl, name('owner'));
    const reader = await registerAndLogin(suite.system.apiUrl, name('reader'));
    const channel = await http<{ id: string }>(
      'POST',
      `${suite.system.apiUrl}/chats`,
      { type: 'channel', name: `Live ${Date.now()}`, member_ids: [] },
      owner.token,
    );
    expect(channel.status).to.equal(201);
    const [tab1, tab2] = [await userPage(), await userPage()];
    for (const tab of [tab1, tab2]) await logIn(tab, reader.username);
    const title = (await http<{ name: string }>('GET', `${suite.system.apiUrl}/chats/${channel.body.id}`, undefined, owner.token)).body
      .name;

    const add = await http('POST', `${suite.system.apiUrl}/chats/${channel.body.id}/members`, { user_id: reader.id }, owner.token);
    expect(add.status).to.be.oneOf([200, 201]);
    // No message was sent: the list learns of the chat from the membership frame alone.
    for (const tab of [tab1, tab2]) await tab.locator(`.chat-item[data-title="${title}"]`).waitFor({ timeout: 3000 });
    await openChat(tab1, title);
    await tab1.locator('.read-only', { hasText: 'Only admins can post' }).waitFor();

    expect(
      (await http('PATCH', `${suite.system.apiUrl}/chats/${channel.body.id}/members/${reader.id}`, { role: 'admin' }, owner.token)).status,
    ).to.equal(200);
    await tab1.getByLabel('Message', { exact: true }).waitFor({ timeout: 3000 });

    expect(
      (await http('DELETE', `${suite.system.apiUrl}/chats/${channel.body.id}/members/${reader.id}`, undefined, owner.token)).status,
    ).to.be.oneOf([200, 204]);
    for (const tab of [tab1, tab2]) await tab.locator(`.chat-item[data-title="${title}"]`).waitFor({ state: 'detached', timeout: 3000 });
    await tab1.locator('.chat-header h2', { hasText: title }).waitFor({ state: 'detached' });
  });

  it('shows reactions live on both sides, and again after a reload', async () => {
    const { a, aPage, bPage } = await pair('react');
    await sendMessage(aPage, 'react to this');
    const onB = bPage.locator('.msg', { hasText: 'react to this' });
    await onB.waitFor();
    await onB.getByRole('button', { name: 'Message actions' }).click();
    await onB.getByRole('button', { name: 'React 👍' }).click();
    const onA = aPage.locator('.msg', { hasText: 'react to this' });
    await onA.locator('.reaction[data-emoji="👍"]', { hasText: '👍 1' }).waitFor();
    await onB.locator('.reaction[data-emoji="👍"][aria-pressed="true"]', { hasText: '👍 1' }).waitFor();
    // Alice adds hers by pressing the reaction itself.
    await onA.locator('.reaction[data-emoji="👍"]').click();
    await onB.locator('.reaction[data-emoji="👍"]', { hasText: '👍 2' }).waitFor();

    await aPage.reload();
    await waitOnline(aPage);
    await openChat(aPage, (await bPage.locator('.me-name strong').textContent())!);
    await aPage
      .locator('.msg', { hasText: 'react to this' })
      .locator('.reaction[data-emoji="👍"][aria-pressed="true"]', { hasText: '👍 2' })
      .waitFor();
    void a;
  });

  it('does not call anyone online while our own connection is down', async () => {
    const { aPage } = await pair('down');
    await aPage.locator('.subtitle[data-presence="online"]').waitFor();
    await suite.system.restartGateway(async () => {
      await aPage.locator('.conn[data-state="reconnecting"]').waitFor();
      const subtitle = aPage.locator('.subtitle');
      expect(await subtitle.getAttribute('data-presence')).to.equal('unknown');
      expect(await subtitle.textContent()).to.not.include('online');
      expect(await aPage.locator('.chat-item [data-presence="online"]').count(), 'no online dot in the list').to.equal(0);
    });
    await waitOnline(aPage);
    await aPage.locator('.subtitle[data-presence="online"]').waitFor({ timeout: 15_000 });
  });

  it('shows the partner online right after they reload, never away', async () => {
    const { aPage, bPage } = await pair('reload');
    await aPage.locator('.subtitle[data-presence="online"]').waitFor();
    await bPage.reload();
    await waitOnline(bPage);
    const seen = new Set<string>();
    const until = Date.now() + 2500;
    while (Date.now() < until) {
      seen.add((await aPage.locator('.subtitle').getAttribute('data-presence')) ?? '');
      await aPage.waitForTimeout(50);
    }
    expect([...seen], 'what Alice saw of Bob while and after he reloaded').to.not.include('away');
    expect(await aPage.locator('.subtitle').getAttribute('data-presence')).to.equal('online');
  });

  it('shows read marks (✓✓) after a reload', async () => {
    const { b, aPage, bPage } = await pair('ticks');
    await sendMessage(aPage, 'read me');
    await expectMessage(bPage, 'read me');
    const ticks = aPage.locator('.msg.mine', { hasText: 'read me' }).locator('.ticks');
    await ticks.and(aPage.locator('[title="read"]')).waitFor();
    await aPage.reload();
    await waitOnline(aPage);
    await openChat(aPage, b.username);
    await expectMessage(aPage, 'read me');
    await ticks.and(aPage.locator('[title="read"]')).waitFor({ timeout: 5000 });
  });

  it('marks a message read at once, before the persister has stored it', async () => {
    const { aPage, bPage } = await pair('unstored');
    const refused: string[] = [];
    bPage.on('response', (res) => {
      if (res.url().endsWith('/read') && res.status() >= 400) refused.push(`${res.status()} ${res.url()}`);
    });
    await suite.system.pausePersister(async () => {
      await sendMessage(aPage, 'not in PostgreSQL yet');
      await expectMessage(bPage, 'not in PostgreSQL yet');
      // Bob has the chat open: the page marks it read; Alice sees it read while nothing is stored.
      await aPage.locator('.msg.mine', { hasText: 'not in PostgreSQL yet' }).locator('.ticks[title="read"]').waitFor();
    });
    expect(refused, 'no refused read mark').to.deep.equal([]);
  });

  it('updates the chat list preview when the newest message is edited, open or not', async () => {
    const { b, aPage, bPage } = await pair('preview');
    await sendMessage(aPage, 'before the edit');
    const preview = bPage.locator(`.chat-item[data-title="${(await aPage.locator('.me-name strong').textContent())!}"] .last`);
    await preview.filter({ hasText: 'before the edit' }).waitFor();
    await aPage.locator('.msg.mine:not(.pending)', { hasText: 'before the edit' }).waitFor();
    // Open on Bob's screen: the message is in his timeline.
    await aPage.getByLabel('Message', { exact: true }).press('ArrowUp');
    await aPage.getByLabel('Message', { exact: true }).fill('after one edit');
    await aPage.getByLabel('Message', { exact: true }).press('Enter');
    await expectMessage(bPage, 'after one edit');
    await preview.filter({ hasText: 'after one edit' }).waitFor();
    // Alice's own list too.
    await aPage.locator(`.chat-item[data-title="${b.username}"] .last`, { hasText: 'You: after one edit' }).waitFor();

    // Not open on Bob's screen (he reloaded and opened nothing): the list still follows.
    await bPage.reload();
    await waitOnline(bPage);
    await preview.filter({ hasText: 'after one edit' }).waitFor();
    await aPage.getByLabel('Message', { exact: true }).press('ArrowUp');
    await aPage.getByLabel('Message', { exact: true }).fill('after two edits');
    await aPage.getByLabel('Message', { exact: true }).press('Enter');
    await preview.filter({ hasText: 'after two edits' }).waitFor();
  });
});
