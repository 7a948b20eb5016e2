import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { uniqueName } from '../../test/support/system.js';
import { pngImage } from '../../test/support/files.js';
import { browserSuite } from './support/browser-suite.js';
import { expectMessage, openChat, register, sendMessage } from './support/browser.js';

const name = (prefix: string) => uniqueName(prefix).slice(0, 50);

describe('web client attachments in Chromium @integration', function () {
  this.timeout(90_000);
  const suite = browserSuite();
  const userPage = suite.userPage;

  /** Picks files with the attach button's input, waits until each is uploaded and checked, sends. */
  async function sendFiles(page: Page, files: Array<{ name: string; mimeType: string; buffer: Buffer }>): Promise<void> {
    await page.locator('.composer input[type=file]').setInputFiles(files);
    await page
      .locator('.attachment-item.done')
      .nth(files.length - 1)
      .waitFor();
    await page.getByRole('button', { name: 'Send' }).click();
    await page.locator('.attachment-item').first().waitFor({ state: 'detached' });
  }

  it('a photo sent by one appears as a thumbnail for the other; a file downloads with its name', async () => {
    const aliceName = name('alice');
    const bobName = name('bob');
    const alice = await userPage();
    const bob = await userPage();
    await register(alice, aliceName);
    await register(bob, bobName);
    await alice.getByLabel('Find people').fill(bobName);
    await alice.locator(`.person[data-user="${bobName}"]`).click();
    await alice.locator('.chat-header h2', { hasText: bobName }).waitFor();
    await sendMessage(alice, 'photos follow');

    await sendFiles(alice, [{ name: 'sunset.png', mimeType: 'image/png', buffer: await pngImage(400, 300) }]);
    await sendFiles(alice, [{ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('remember the milk\n') }]);

    await openChat(bob, aliceName);
    await expectMessage(bob, 'photos follow');
    const thumb = bob.locator('.msg img.thumbnail');
    await thumb.waitFor();
    // Loaded and decoded (a string: the test is compiled without the DOM's types).
    await bob.waitForFunction(
      "(() => { const img = document.querySelector('.msg img.thumbnail'); return img && img.complete && img.naturalWidth > 0; })()",
    );
    expect(await thumb.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).to.equal(320);

    const [download] = await Promise.all([bob.waitForEvent('download'), bob.locator('.file-chip', { hasText: 'notes.txt' }).click()]);
    expect(download.suggestedFilename()).to.equal('notes.txt');
  });
});
