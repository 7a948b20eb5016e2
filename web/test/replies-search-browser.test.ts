import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { TestSocket, waitFor } from '@neonchat/common/testing';
import { http, registerAndLogin, uniqueName } from '../../test/support/system.js';
import { seriousViolations, tabTo } from './support/accessibility.js';
import { browserSuite } from './support/browser-suite.js';
import { expectMessage, logIn, openChat } from './support/browser.js';

const name = (prefix: string) => uniqueName(prefix).slice(0, 50);

/** The URLs of the page's REST calls, to see which history page a jump asked for. */
function apiCalls(page: Page): string[] {
  const urls: string[] = [];
  page.on('request', (r) => {
    if (r.url().includes('/api/v1/')) urls.push(r.url());
  });
  return urls;
}

/** Issue 30 in the browser: reply, jump to the original, forward, @mentions, search. */
describe('web client replies, forwards, mentions and search in Chromium @integration', function () {
  this.timeout(90_000);
  const suite = browserSuite();

  it('two people reply, jump to an original far back, forward, mention and search', async () => {
    const { apiUrl, wsUrl } = suite.system;
    const alice = await registerAndLogin(apiUrl, name('rsa'));
    const bob = await registerAndLogin(apiUrl, name('rsb'));
    const title = `Plans ${Date.now().toString(36)}`;
    const group = await http<{ id: string }>('POST', `${apiUrl}/chats`, { type: 'group', name: title, member_ids: [bob.id] }, alice.token);
    expect(group.status).to.equal(201);
    expect((await http('POST', `${apiUrl}/chats`, { partner_id: bob.id }, alice.token)).status).to.be.oneOf([200, 201]);

    // The original, then 60 more: it is far older than the page a chat opens on.
    const original = 'original plan alpha <b>bold</b> & more';
    const ws = await TestSocket.open(`${wsUrl}?token=${alice.token}`);
    await ws.next((f) => f.type === 'ready');
    // One at a time: a burst can be refused as `unavailable` by a gateway busy with the full suite.
    for (let i = 0; i <= 60; i++) {
      ws.send({ type: 'message', chat_id: group.body.id, text: i ? `filler ${i}` : original, request_id: `rs-${i}` });
      await ws.next((f) => f.type === 'message_sent' && f.request_id === `rs-${i}`);
    }
    await ws.close();
    await waitFor(
      async () => {
        const page = await http<{ messages: unknown[] }>(
          'GET',
          `${apiUrl}/chats/${group.body.id}/messages?limit=100`,
          undefined,
          alice.token,
        );
        return page.body.messages.length === 61 || undefined;
      },
      { what: '61 messages stored', timeoutMs: 20_000 },
    );

    // Bob searches as he types; the hit's snippet is text with <mark>s, the markup in it literal.
    const bobPage = await suite.userPage();
    await logIn(bobPage, bob.username);
    const search = bobPage.getByLabel('Search messages');
    await search.pressSequentially('plan alp');
    const hit = bobPage.locator('.message-hits .hit').first();
    await hit.locator('mark', { hasText: 'alp' }).first().waitFor();
    expect(await hit.locator('.hit-chat').textContent()).to.equal(title);
    expect(await hit.locator('.hit-snippet').textContent()).to.include('<b>bold</b> & more');
    expect(await hit.locator('.hit-snippet b').count(), 'no markup from the server').to.equal(0);
    expect(await seriousViolations(bobPage), 'search results').to.deep.equal([]);
    // From the keyboard: Tab to the hit, Enter opens the chat at the message, highlighted.
    expect(await tabTo(bobPage, '.message-hits .hit')).to.equal(true);
    await bobPage.keyboard.press('Enter');
    await bobPage.locator('.chat-header h2', { hasText: title }).waitFor();
    const found = bobPage.locator('.msg.highlight', { hasText: 'original plan alpha' });
    await found.waitFor();
    expect(
      await bobPage.evaluate("document.activeElement?.classList.contains('highlight') ?? false"),
      'focus on the found message',
    ).to.equal(true);

    // Bob replies to it: the quote above the composer, Escape-able, then sent with the message.
    await found.getByRole('button', { name: 'Message actions' }).click();
    await found.getByRole('button', { name: 'Reply to message' }).click();
    const bar = bobPage.locator('.reply-bar');
    await bar.locator('.quote-text', { hasText: 'original plan alpha' }).waitFor();
    expect(await seriousViolations(bobPage), 'reply bar').to.deep.equal([]);
    await bobPage.getByLabel('Message', { exact: true }).press('Escape');
    await bar.waitFor({ state: 'detached' });
    await found.getByRole('button', { name: 'Message actions' }).click();
    await found.getByRole('button', { name: 'Reply to message' }).click();
    await bar.waitFor();
    await bobPage.keyboard.type('sounds good');
    await bobPage.keyboard.press('Enter');
    await bar.waitFor({ state: 'detached' });
    const reply = bobPage.locator('.msg:not(.pending)', { hasText: 'sounds good' });
    await reply.locator('.quote .quote-text', { hasText: 'original plan alpha' }).waitFor();

    // Alice opens the group on its newest page: the original is not in it. The quote jumps there.
    const alicePage = await suite.userPage();
    const aliceCalls = apiCalls(alicePage);
    await logIn(alicePage, alice.username);
    await openChat(alicePage, title);
    const aliceReply = alicePage.locator('.msg', { hasText: 'sounds good' });
    await aliceReply.waitFor();
    expect(await alicePage.locator('.msg > .text', { hasText: 'original plan alpha' }).count(), 'not loaded yet').to.equal(0);
    await aliceReply.getByRole('button', { name: /In reply to .*Show the original/ }).click();
    const jumped = alicePage.locator('.msg.highlight', { hasText: 'original plan alpha' });
    await jumped.waitFor();
    expect(
      aliceCalls.some((u) => /[?&]around=\d+/.test(u)),
      'the page around the original was asked for',
    ).to.equal(true);
    await jumped.locator('.reply-count', { hasText: '1 reply' }).waitFor();

    // Alice forwards the original into her 1:1 chat with Bob; both see where it came from.
    await jumped.getByRole('button', { name: 'Message actions' }).click();
    await jumped.getByRole('button', { name: 'Forward message' }).click();
    await alicePage.getByRole('button', { name: `Forward to ${bob.username}` }).click();
    await alicePage.locator('.chat-header h2', { hasText: bob.username }).waitFor();
    const copy = alicePage.locator('.msg', { hasText: 'original plan alpha' });
    await copy.locator('.forwarded', { hasText: `Forwarded from ${alice.username}` }).waitFor();
    await openChat(bobPage, alice.username);
    await bobPage
      .locator('.msg', { hasText: 'original plan alpha' })
      .locator('.forwarded', { hasText: `Forwarded from ${alice.username}` })
      .waitFor();

    // Alice mentions Bob in the group with the @ autocomplete (Escape closes it, Enter picks).
    await openChat(alicePage, title);
    const box = alicePage.getByLabel('Message', { exact: true });
    await box.click();
    await box.pressSequentially('@rsb');
    const option = alicePage.getByRole('option', { name: `@${bob.username}` });
    await option.waitFor();
    expect(await box.getAttribute('aria-activedescendant'), 'the option under the arrows').to.equal(await option.getAttribute('id'));
    expect(await seriousViolations(alicePage), 'mention list').to.deep.equal([]);
    await box.press('Escape');
    await option.waitFor({ state: 'detached' });
    expect(await box.inputValue(), 'Escape only closed the list').to.equal('@rsb');
    await box.pressSequentially('_');
    await option.waitFor();
    await box.press('Enter');
    expect(await box.inputValue()).to.equal(`@${bob.username} `);
    await box.pressSequentially('lunch?');
    await box.press('Enter');
    await expectMessage(alicePage, 'lunch?');

    // Bob, in the other chat, sees the mention badge beside the unread count; opening clears it.
    const badge = bobPage.locator(`.chat-item[data-title="${title}"] .mention-badge`);
    await badge.waitFor();
    expect(await badge.textContent()).to.equal('@1 mention');
    await openChat(bobPage, title);
    await bobPage.locator('.msg.mentioned', { hasText: 'lunch?' }).locator('.mention.me').waitFor();
    await badge.waitFor({ state: 'detached' });
    // The server agrees (the read mark cleared it), so the list read again after a reload has none.
    await waitFor(
      async () => {
        const list = await http<{ chats: Array<{ id: string; mention_count?: number }> }>('GET', `${apiUrl}/chats`, undefined, bob.token);
        return list.body.chats.find((c) => c.id === group.body.id)?.mention_count === 0 || undefined;
      },
      { what: 'mention count cleared on the server', timeoutMs: 10_000 },
    );
    await bobPage.reload();
    await bobPage.locator(`.chat-item[data-title="${title}"]`).waitFor();
    expect(await badge.count()).to.equal(0);
  });
});
