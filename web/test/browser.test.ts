import { expect } from 'chai';
import { TestSocket, waitFor } from '@neonchat/common/testing';
import { http, registerAndLogin, uniqueName } from '../../test/support/system.js';
import { browserSuite } from './support/browser-suite.js';
import {
  PHONE,
  expectMessage,
  expectNoDuplicates,
  logIn,
  openChat,
  register,
  screenshot,
  sendMessage,
  shownMessages,
  waitOnline,
} from './support/browser.js';

/** Usernames are 3–50 of [A-Za-z0-9_.]. */
const name = (prefix: string) => uniqueName(prefix).slice(0, 50);

describe('web client in Chromium @integration', function () {
  this.timeout(60_000);
  const suite = browserSuite();
  const userPage = suite.userPage;

  it('serves the client and its config next to the API, which stays where it was', async () => {
    const page = await fetch(`${suite.system.baseUrl}/`);
    expect(page.status).to.equal(200);
    expect(page.headers.get('content-security-policy')).to.include("script-src 'self'");
    expect(await page.text()).to.include('/app.js');
    const config = (await (await fetch(`${suite.system.baseUrl}/config.json`)).json()) as { ws_url: string };
    expect(config.ws_url).to.equal(suite.system.wsUrl);
    expect((await fetch(`${suite.system.baseUrl}/docs/json`)).status).to.equal(200);
    expect((await fetch(`${suite.system.apiUrl}/me`)).status, 'the API still answers for itself').to.equal(401);
  });

  it('registers two people, starts a chat, exchanges messages both ways with typing, presence and read marks', async () => {
    const aliceName = name('alice');
    const bobName = name('bob');
    const alice = await userPage();
    const bob = await userPage();
    await screenshot(alice, 'login-desktop');
    await register(alice, aliceName);
    await register(bob, bobName, `+49${Date.now().toString().slice(-9)}`);

    // Alice finds Bob and writes first; Bob's list learns about the chat from the message.
    await alice.getByLabel('Find people').fill(bobName);
    await alice.locator(`.person[data-user="${bobName}"]`).click();
    await alice.locator('.chat-header h2', { hasText: bobName }).waitFor();
    await sendMessage(alice, 'Hi Bob! <b>not bold</b>');
    await alice.locator('.msg.mine:not(.pending) .text', { hasText: 'Hi Bob!' }).waitFor();
    await bob.locator(`.chat-item[data-title="${aliceName}"] .badge`, { hasText: '1' }).waitFor();

    await openChat(bob, aliceName);
    await expectMessage(bob, 'Hi Bob! <b>not bold</b>');
    expect(await bob.locator('.messages b').count(), 'server text is shown as text, never as markup').to.equal(0);
    await bob.locator(`.chat-item[data-title="${aliceName}"] .badge`).waitFor({ state: 'detached' });
    // Bob read it: Alice's bubble gets its read mark.
    await alice.locator('.msg.mine .ticks[title="read"]').waitFor();

    // Presence: both online.
    await alice.locator('.subtitle[data-presence="online"]').waitFor();
    await bob.locator('.subtitle[data-presence="online"]').waitFor();

    // Typing shows on the other side while Bob types, and goes with the message.
    const box = bob.getByLabel('Message', { exact: true });
    await box.click();
    await box.pressSequentially('Hello Alice');
    await alice.locator('.subtitle.typing', { hasText: `${bobName} is typing` }).waitFor();
    await box.press('Enter');
    await expectMessage(alice, 'Hello Alice');
    await alice.locator('.subtitle.typing').waitFor({ state: 'detached' });
    await screenshot(alice, 'chat-desktop');

    // Editing (ArrowUp in the empty composer) reaches the other side.
    await alice.getByLabel('Message', { exact: true }).press('ArrowUp');
    await alice.getByLabel('Message', { exact: true }).fill('Hi Bob, edited');
    await alice.getByLabel('Message', { exact: true }).press('Enter');
    await expectMessage(bob, 'Hi Bob, edited');

    // Bob closes his tab: Alice sees him go offline; he logs back in by phone... by name here.
    await bob.close();
    await alice.locator('.subtitle[data-presence="offline"]').waitFor();
    const bobAgain = await userPage();
    await logIn(bobAgain, bobName);
    await alice.locator('.subtitle[data-presence="online"]').waitFor();
    await openChat(bobAgain, aliceName);
    // The header shows before the chat's history arrives over REST: wait for its newest message.
    await expectMessage(bobAgain, 'Hello Alice');
    const seenByBob = await shownMessages(bobAgain);
    expect(seenByBob.map((m) => m.text)).to.deep.equal(['Hi Bob, edited', 'Hello Alice']);

    // The phone layout: the list first, the chat after a tap, back again.
    await alice.setViewportSize(PHONE);
    await alice.getByRole('button', { name: 'Back to chats' }).click();
    await alice.locator('.chat-list').waitFor();
    await screenshot(alice, 'chats-phone');
    await openChat(alice, bobName);
    await screenshot(alice, 'chat-phone');
  });

  it('logs in by phone, and scrolls back through 200 messages page by page with no gaps or repeats', async () => {
    const carol = await registerAndLogin(suite.system.apiUrl, name('carol'));
    const daveName = name('dave');
    const phone = `+1${Date.now().toString().slice(-10)}`;
    const reg = await http('POST', `${suite.system.apiUrl}/auth/register`, { username: daveName, password: 'secret-password', phone });
    expect(reg.status).to.equal(201);
    const daveId = (reg.body as { id: string }).id;
    const chat = await http<{ id: string }>('POST', `${suite.system.apiUrl}/chats`, { partner_id: daveId }, carol.token);

    const ws = await TestSocket.open(`${suite.system.wsUrl}?token=${carol.token}`);
    await ws.next((f) => f.type === 'ready');
    for (let i = 1; i <= 200; i++) ws.send({ type: 'message', chat_id: chat.body.id, text: `message ${i}`, request_id: `m-${i}` });
    await ws.next((f) => f.type === 'message_sent' && f.request_id === 'm-200');
    await ws.close();
    // Older pages come from PostgreSQL: wait for the persister to have all of them.
    await waitFor(
      async () => {
        const page = await http<{ messages: unknown[] }>(
          'GET',
          `${suite.system.apiUrl}/chats/${chat.body.id}/messages?limit=200`,
          undefined,
          carol.token,
        );
        return page.body.messages.length === 200 || undefined;
      },
      { what: '200 messages stored', timeoutMs: 20_000 },
    );

    const dave = await userPage();
    await logIn(dave, phone);
    // Unread only: the chat with its 200 unread; opened from the keyboard.
    await dave.getByLabel('Unread only').check();
    await dave.locator(`.chat-item[data-title="${carol.username}"] .badge`, { hasText: '200' }).waitFor();
    await dave.locator(`.chat-item[data-title="${carol.username}"]`).focus();
    // Carol coming online redraws the list: the chat Dave is on with the keyboard keeps the focus.
    const carolAgain = await TestSocket.open(`${suite.system.wsUrl}?token=${carol.token}`);
    await carolAgain.next((f) => f.type === 'ready');
    await dave.locator(`.chat-item[data-title="${carol.username}"] [data-presence="online"]`).waitFor();
    expect(await dave.evaluate("document.activeElement?.getAttribute('data-title')")).to.equal(carol.username);
    await carolAgain.close();
    await dave.keyboard.press('Enter');
    await dave.locator('.chat-header h2', { hasText: carol.username }).waitFor();
    await expectMessage(dave, 'message 200');
    const first = await shownMessages(dave);
    expect(first.length, 'a chat opens on its newest messages only').to.be.within(1, 60);
    // A redraw replaces the list; a scroll event still queued for the old one (detached, so its
    // scrollTop reads 0) must not load an older page.
    const replaced = await dave.locator('.messages').elementHandle();
    await dave.locator(`.chat-item[data-title="${carol.username}"]`).click();
    await dave.waitForFunction((el) => el !== null && !el.isConnected, replaced);
    await replaced!.evaluate((el) => el.dispatchEvent(new Event('scroll')));
    await dave.waitForTimeout(300);
    expect(await dave.locator('.messages .msg').count(), 'no older page for a replaced list').to.equal(first.length);

    // Scroll to the top until every page is in (each scroll to the top asks for the next one).
    const list = dave.locator('.messages');
    const deadline = Date.now() + 20_000;
    while ((await dave.locator('.messages .msg').count()) < 200) {
      expect(Date.now(), 'all 200 messages in by scrolling up').to.be.below(deadline);
      await list.evaluate((el) => (el.scrollTop = 0));
      await dave.waitForTimeout(100);
    }
    const all = await shownMessages(dave);
    expect(all).to.have.length(200);
    expectNoDuplicates(all);
    expect(all.map((m) => m.text)).to.deep.equal(Array.from({ length: 200 }, (_, i) => `message ${i + 1}`));
    expect(all.map((m) => m.seq)).to.deep.equal([...all.map((m) => m.seq)].sort((a, b) => a - b));
    // Read now: the unread-only list has nothing left once it is fetched again.
    await dave.getByLabel('Unread only').uncheck();
    await dave.getByLabel('Unread only').check();
    await dave.locator('.chat-list .empty', { hasText: 'No unread chats' }).waitFor();
  });

  it('lets only admins post in a channel; an admin adds, promotes and bans members', async () => {
    const owner = await registerAndLogin(suite.system.apiUrl, name('owner'));
    const reader = await registerAndLogin(suite.system.apiUrl, name('reader'));
    const troll = await registerAndLogin(suite.system.apiUrl, name('troll'));
    const channelName = `News ${Date.now()}`;

    const ownerPage = await userPage();
    await logIn(ownerPage, owner.username);
    await ownerPage.getByRole('button', { name: '+ Group / channel' }).click();
    await ownerPage.getByLabel('Name').fill(channelName);
    await ownerPage.getByRole('button', { name: 'Create channel' }).click();
    await ownerPage.locator('.chat-header h2', { hasText: channelName }).waitFor();

    // Members: add two people, ban one.
    await ownerPage.getByRole('button', { name: 'Members' }).click();
    for (const who of [reader.username, troll.username]) {
      await ownerPage.getByLabel('Add member').fill(who);
      await ownerPage.locator(`.dialog .person[data-user="${who}"]`).click();
      await ownerPage.locator(`.dialog .member[data-user="${who}"]`).waitFor();
    }
    await ownerPage.locator(`.dialog .member[data-user="${troll.username}"]`).getByRole('button', { name: 'Ban' }).click();
    await ownerPage.locator(`.dialog .member[data-user="${troll.username}"]`).waitFor({ state: 'detached' });
    await screenshot(ownerPage, 'members-desktop');
    await ownerPage.getByRole('button', { name: 'Close' }).click();
    await sendMessage(ownerPage, 'Welcome to the channel');
    await ownerPage.locator('.msg.mine:not(.pending)', { hasText: 'Welcome to the channel' }).waitFor();

    const readerPage = await userPage();
    await logIn(readerPage, reader.username);
    await openChat(readerPage, channelName);
    await expectMessage(readerPage, 'Welcome to the channel');
    await readerPage.locator('.read-only', { hasText: 'Only admins can post' }).waitFor();
    expect(await readerPage.locator('.composer').count(), 'no composer for a reader').to.equal(0);

    // Promoted, the reader gets a composer the next time the channel opens. The owner's
    // half-typed draft survives the chat being redrawn.
    await ownerPage.getByLabel('Message', { exact: true }).fill('a draft');
    await ownerPage.getByRole('button', { name: 'Members' }).click();
    await ownerPage.locator(`.dialog .member[data-user="${reader.username}"]`).getByRole('button', { name: 'Make admin' }).click();
    await ownerPage.locator(`.dialog .member[data-user="${reader.username}"] .role`, { hasText: 'admin' }).waitFor();
    await ownerPage.getByRole('button', { name: 'Close' }).click();
    expect(await ownerPage.getByLabel('Message', { exact: true }).inputValue()).to.equal('a draft');
    await readerPage.reload();
    await waitOnline(readerPage);
    await openChat(readerPage, channelName);
    await sendMessage(readerPage, 'Thanks, boss');
    await expectMessage(ownerPage, 'Thanks, boss');

    // The owner deletes the welcome post: gone on both screens.
    const welcome = ownerPage.locator('.msg.mine', { hasText: 'Welcome to the channel' });
    await welcome.getByRole('button', { name: 'Message actions' }).click();
    await welcome.getByRole('button', { name: 'Delete message' }).click();
    await readerPage.locator('.msg .text', { hasText: 'Welcome to the channel' }).waitFor({ state: 'detached' });
    await welcome.waitFor({ state: 'detached' });

    // Logging out forgets the token.
    await readerPage.getByRole('button', { name: 'Log out' }).click();
    await readerPage.getByRole('button', { name: 'Log in' }).waitFor();
    expect(await readerPage.evaluate('sessionStorage.length')).to.equal(0);
  });

  it('loses nothing when the gateway restarts mid-conversation', async () => {
    const ann = await registerAndLogin(suite.system.apiUrl, name('ann'));
    const ben = await registerAndLogin(suite.system.apiUrl, name('ben'));
    const chat = await http<{ id: string }>('POST', `${suite.system.apiUrl}/chats`, { partner_id: ben.id }, ann.token);
    const annPage = await userPage();
    const benPage = await userPage();
    await logIn(annPage, ann.username);
    await logIn(benPage, ben.username);
    await openChat(annPage, ben.username);
    await openChat(benPage, ann.username);
    await sendMessage(annPage, 'before 1');
    await expectMessage(benPage, 'before 1');
    await sendMessage(benPage, 'before 2');
    await expectMessage(annPage, 'before 2');

    // While the gateway is down, Ann writes (her bubbles wait) and Ben's phone, on another
    // gateway, writes too: both browsers must get everything once when theirs comes back.
    const other = await suite.system.extraGateway();
    try {
      await suite.system.restartGateway(async () => {
        await annPage.locator('.conn[data-state="reconnecting"]').waitFor();
        await benPage.locator('.conn[data-state="reconnecting"]').waitFor();
        for (const text of ['while down 1', 'while down 2']) await sendMessage(annPage, text);
        await annPage.locator('.msg.pending', { hasText: 'while down 2' }).waitFor();
        await screenshot(annPage, 'reconnecting-desktop');
        const phone = await TestSocket.open(`ws://127.0.0.1:${other.port}/ws?token=${ben.token}`);
        await phone.next((f) => f.type === 'ready');
        for (let i = 1; i <= 3; i++) {
          phone.send({ type: 'message', chat_id: chat.body.id, text: `from phone ${i}`, request_id: `phone-${i}` });
          await phone.next((f) => f.type === 'message_sent' && f.request_id === `phone-${i}`);
        }
        await phone.close();
      });
      await waitOnline(annPage);
      await waitOnline(benPage);
      const expected = ['before 1', 'before 2', 'from phone 1', 'from phone 2', 'from phone 3', 'while down 1', 'while down 2'];
      for (const page of [annPage, benPage]) {
        await expectMessage(page, 'while down 2');
        await expectMessage(page, 'from phone 3');
      }
      await annPage.locator('.msg.pending').waitFor({ state: 'detached' });
      await sendMessage(benPage, 'after');
      await expectMessage(annPage, 'after');
      const annSees = await shownMessages(annPage);
      const benSees = await shownMessages(benPage);
      expectNoDuplicates(annSees);
      expect(annSees.map((m) => m.text)).to.deep.equal([...expected, 'after']);
      expect(benSees, 'both see the same messages in the same order').to.deep.equal(annSees);
      const stored = await waitFor(async () => {
        const page = await http<{ messages: Array<{ text: string }> }>(
          'GET',
          `${suite.system.apiUrl}/chats/${chat.body.id}/messages`,
          undefined,
          ann.token,
        );
        return page.body.messages.length === expected.length + 1 ? page.body.messages : undefined;
      });
      expect(
        stored.map((m) => m.text),
        'each retried send stored once',
      ).to.deep.equal([...expected, 'after']);
    } finally {
      await other.close();
    }
  });
});
