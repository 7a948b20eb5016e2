import { expect } from 'chai';
import { TestSocket, waitFor } from '@neonchat/common/testing';
import { http, registerAndLogin, uniqueName } from '../../test/support/system.js';
import { browserSuite } from './support/browser-suite.js';
import { PHONE, expectMessage, logIn, openChat, screenshot, sendMessage } from './support/browser.js';
import { focusRingShown, seriousViolations, tabTo } from './support/accessibility.js';

const name = (prefix: string) => uniqueName(prefix).slice(0, 50);

/** Issue 28: phone width, readable errors, the "new messages" divider, the favicon, keyboard-only use and axe. */
describe('web client usability in Chromium @integration', function () {
  this.timeout(60_000);
  const suite = browserSuite();
  const userPage = (viewport?: { width: number; height: number }) => suite.userPage(viewport);

  it('has a favicon: no request of the page or its icon fails', async () => {
    const page = await suite.userPage(undefined, 'about:blank');
    const failed: string[] = [];
    page.on('response', (res) => {
      if (res.status() >= 400) failed.push(`${res.status()} ${res.url()}`);
    });
    await page.goto(suite.system.baseUrl);
    const user = await registerAndLogin(suite.system.apiUrl, name('fav'));
    await logIn(page, user.username);
    await page.waitForTimeout(300);
    expect(failed).to.deep.equal([]);
    const icon = await fetch(`${suite.system.baseUrl}/favicon.ico`);
    expect(icon.status).to.equal(200);
    expect(icon.headers.get('content-type')).to.match(/^image\/svg\+xml/);
  });

  it('words refusals for people, not as schema text', async () => {
    const page = await userPage();
    await page.getByRole('tab', { name: 'Register' }).click();
    await page.getByLabel('Username').fill('no spaces allowed!');
    await page.getByLabel('Password').fill('secret-password');
    await page.getByRole('button', { name: 'Create account' }).click();
    const error = page.locator('.form-error');
    await error.filter({ hasText: /\S/ }).waitFor();
    const text = await error.textContent();
    expect(text).to.not.match(/must match|pattern|\^\[/);
    expect(text).to.include('letters, digits');

    await page.getByRole('tab', { name: 'Log in' }).click();
    await page.getByLabel('Username or phone').fill('nobody_here');
    await page.getByLabel('Password').fill('wrong-password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await error.filter({ hasText: 'Wrong username, phone or password' }).waitFor();
  });

  it('fits a 390 px phone: members dialog whole, message actions only where asked for', async () => {
    const owner = await registerAndLogin(suite.system.apiUrl, name('phone_owner_with_a_long_name'));
    const other = await registerAndLogin(suite.system.apiUrl, name('phone_member_with_a_long_name'));
    const group = await http<{ id: string }>(
      'POST',
      `${suite.system.apiUrl}/chats`,
      { type: 'group', name: `Phone group ${Date.now()}`, member_ids: [other.id] },
      owner.token,
    );
    expect(group.status).to.equal(201);
    const page = await userPage(PHONE);
    await logIn(page, owner.username);
    await page.locator('.chat-item .kind', { hasText: 'group' }).click();
    for (const text of ['one', 'two', 'three']) await sendMessage(page, text);
    await expectMessage(page, 'three');
    await page.locator('.msg.pending').waitFor({ state: 'detached' });
    expect(await page.getByRole('button', { name: 'Edit message' }).count(), 'no Edit on every own message').to.equal(0);
    await page.locator('.msg', { hasText: 'two' }).getByRole('button', { name: 'Message actions' }).click();
    expect(await page.getByRole('button', { name: 'Edit message' }).count()).to.equal(1);
    expect(await page.getByRole('button', { name: 'Delete message' }).count()).to.equal(1);
    await screenshot(page, 'actions-phone');

    await page.getByRole('button', { name: 'Members' }).click();
    const dialog = page.locator('.dialog');
    await dialog.locator(`.member[data-user="${other.username}"]`).waitFor();
    for (const button of [
      dialog.getByRole('button', { name: `Remove ${other.username}` }),
      dialog.getByRole('button', { name: `Ban ${other.username}` }),
      dialog.getByRole('button', { name: `Make admin ${other.username}` }),
      dialog.getByRole('button', { name: 'Close' }),
    ]) {
      const box = await button.boundingBox();
      expect(box, 'button laid out').to.not.equal(null);
      expect(box!.x, 'starts on screen').to.be.at.least(0);
      expect(box!.x + box!.width, `${await button.textContent()} ends on screen`).to.be.at.most(PHONE.width);
    }
    const overflow = await dialog.evaluate((el) => el.scrollWidth - el.clientWidth);
    expect(overflow, 'nothing to scroll sideways').to.equal(0);
    await screenshot(page, 'members-phone');
  });

  it('opens a chat with 120 unread at a "new messages" divider before the first unread', async () => {
    const carol = await registerAndLogin(suite.system.apiUrl, name('carol'));
    const dave = await registerAndLogin(suite.system.apiUrl, name('dave'));
    const chat = await http<{ id: string }>('POST', `${suite.system.apiUrl}/chats`, { partner_id: dave.id }, carol.token);
    const ws = await TestSocket.open(`${suite.system.wsUrl}?token=${carol.token}`);
    await ws.next((f) => f.type === 'ready');
    const send = async (text: string) => {
      ws.send({ type: 'message', chat_id: chat.body.id, text, request_id: text.replace(/ /g, '-') });
      return ws.next((f) => f.type === 'message_sent' && f.request_id === text.replace(/ /g, '-'));
    };
    let lastRead = '';
    for (let i = 1; i <= 10; i++) lastRead = ((await send(`read ${i}`)) as unknown as { message: { id: string } }).message.id;
    await waitFor(async () => {
      const res = await http('POST', `${suite.system.apiUrl}/chats/${chat.body.id}/read`, { message_id: lastRead }, dave.token);
      return res.status === 200 || undefined;
    });
    for (let i = 1; i <= 120; i++) ws.send({ type: 'message', chat_id: chat.body.id, text: `unread ${i}`, request_id: `u-${i}` });
    await ws.next((f) => f.type === 'message_sent' && f.request_id === 'u-120');
    await ws.close();
    // Older pages come from PostgreSQL.
    await waitFor(
      async () => {
        const page = await http<{ messages: unknown[] }>(
          'GET',
          `${suite.system.apiUrl}/chats/${chat.body.id}/messages?limit=200`,
          undefined,
          carol.token,
        );
        return page.body.messages.length === 130 || undefined;
      },
      { what: '130 messages stored', timeoutMs: 20_000 },
    );

    const page = await userPage();
    await logIn(page, dave.username);
    await page.locator(`.chat-item[data-title="${carol.username}"] .badge`, { hasText: '120' }).waitFor();
    await openChat(page, carol.username);
    const divider = page.locator('.messages .divider');
    await divider.waitFor();
    const around = await divider.evaluate((el) => [
      el.previousElementSibling?.querySelector('.text')?.textContent,
      el.nextElementSibling?.querySelector('.text')?.textContent,
    ]);
    expect(around).to.deep.equal(['read 10', 'unread 1']);
    // The reader starts at the divider, not at the bottom 120 messages later.
    const inView = await divider.evaluate((el) => {
      const list = el.closest('.messages')!.getBoundingClientRect();
      const line = el.getBoundingClientRect();
      return line.top >= list.top && line.bottom <= list.bottom;
    });
    expect(inView, 'divider on screen').to.equal(true);
  });

  it('works from the keyboard alone, with a visible focus, and axe finds nothing serious', async () => {
    const ann = await registerAndLogin(suite.system.apiUrl, name('kb_ann'));
    const ben = await registerAndLogin(suite.system.apiUrl, name('kb_ben'));
    const page = await userPage();
    expect(await seriousViolations(page), 'login page').to.deep.equal([]);
    await logIn(page, ann.username);

    // Find Ben and open the chat.
    expect(await tabTo(page, 'input[aria-label="Find people"]', 10, true), 'reach the people search').to.equal(true);
    await page.keyboard.type(ben.username);
    await page.locator(`.person[data-user="${ben.username}"]`).waitFor();
    expect(await tabTo(page, `.person[data-user="${ben.username}"]`), 'reach the person').to.equal(true);
    expect(await focusRingShown(page), 'focus visible on a person').to.equal(true);
    await page.keyboard.press('Enter');
    await page.locator('.chat-header h2', { hasText: ben.username }).waitFor();

    // Write, react, edit and delete without a mouse.
    expect(await tabTo(page, 'textarea[aria-label="Message"]'), 'reach the composer').to.equal(true);
    await page.keyboard.type('typed by keyboard');
    await page.keyboard.press('Enter');
    await page.locator('.msg.mine:not(.pending)', { hasText: 'typed by keyboard' }).waitFor();
    await page.keyboard.type('second');
    await page.keyboard.press('Enter');
    await page.locator('.msg.mine:not(.pending)', { hasText: 'second' }).waitFor();
    expect(await tabTo(page, '.msg[data-seq] .more', 20, true), 'reach the message actions').to.equal(true);
    expect(await focusRingShown(page), 'focus visible on ⋯').to.equal(true);
    await page.keyboard.press('Enter');
    expect(await tabTo(page, 'button[aria-label="React 👍"]', 5), 'reach a reaction').to.equal(true);
    await page.keyboard.press('Enter');
    await page.locator('.msg .reaction[data-emoji="👍"]', { hasText: '1' }).waitFor();
    expect(await seriousViolations(page), 'chat with a reaction and actions open').to.deep.equal([]);
    expect(await tabTo(page, 'button[aria-label="Edit message"]', 10), 'reach Edit').to.equal(true);
    await page.keyboard.press('Enter');
    expect(await page.evaluate("document.activeElement?.getAttribute('aria-label')")).to.equal('Message');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('edited by keyboard');
    await page.keyboard.press('Enter');
    await page.locator('.msg .text', { hasText: 'edited by keyboard' }).waitFor();
    expect(await tabTo(page, '.msg[data-seq] .more', 20, true)).to.equal(true);
    await page.keyboard.press('Enter');
    expect(await tabTo(page, 'button[aria-label="Delete message"]', 12)).to.equal(true);
    const count = await page.locator('.msg[data-seq]').count();
    await page.keyboard.press('Enter');
    await waitFor(async () => ((await page.locator('.msg[data-seq]').count()) === count - 1 ? true : undefined), {
      what: 'one message deleted',
    });

    // A group from the keyboard, and its members dialog.
    expect(await tabTo(page, '.list-tools button', 40, true)).to.equal(true);
    await page.keyboard.press('Enter');
    await page.keyboard.type(`Keyboard group ${Date.now()}`);
    expect(await tabTo(page, '.dialog .row button:first-child', 5)).to.equal(true);
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Members' }).waitFor();
    expect(await tabTo(page, '.chat-header button:not(.back)', 40, true)).to.equal(true);
    await page.keyboard.press('Enter');
    await page.getByLabel('Add member').waitFor();
    expect(await seriousViolations(page), 'members dialog').to.deep.equal([]);
    await page.keyboard.press('Escape');
    await page.locator('.dialog[open]').waitFor({ state: 'detached' });
    expect(await seriousViolations(page), 'messenger').to.deep.equal([]);
  });
});
