/**
 * Debian's chromium driven by playwright-core (which brings no browser of its own; make deps
 * installs /usr/bin/chromium). Each user gets a browser context of their own: separate
 * cookies and sessionStorage, like two people on two machines.
 */
import { mkdir } from 'node:fs/promises';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'chai';

export const CHROMIUM = '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  // playwright runs it with a fresh temporary profile (--user-data-dir) and removes it on close.
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 780 };

/** Uncaught errors of the page's script, per page: every test expects none. */
export const pageErrors = new WeakMap<Page, string[]>();

export async function newUserPage(browser: Browser, baseUrl: string, viewport = DESKTOP): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const errors: string[] = [];
  pageErrors.set(page, errors);
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('dialog', (dialog) => void dialog.accept());
  await page.goto(baseUrl);
  return { context, page };
}

/** Registers through the form and waits for the socket to be ready. */
export async function register(page: Page, username: string, phone?: string): Promise<void> {
  await page.getByRole('tab', { name: 'Register' }).click();
  await page.getByLabel('Username').fill(username);
  if (phone) await page.getByLabel('Phone').fill(phone);
  await page.getByLabel('Password').fill('secret-password');
  await page.getByRole('button', { name: 'Create account' }).click();
  await waitOnline(page);
}

/** Logs in from the keyboard: type, Tab, type, Enter. */
export async function logIn(page: Page, login: string): Promise<void> {
  await page.getByLabel('Username or phone').fill(login);
  await page.keyboard.press('Tab');
  await page.keyboard.type('secret-password');
  await page.keyboard.press('Enter');
  await waitOnline(page);
}

export async function waitOnline(page: Page): Promise<void> {
  await page.locator('.conn[data-state="online"]').waitFor();
}

export async function openChat(page: Page, title: string): Promise<void> {
  await page.locator(`.chat-item[data-title="${title}"]`).click();
  await page.locator('.chat-header h2', { hasText: title }).waitFor();
}

/** Types like a person (so typing frames go out) and sends with Enter. */
export async function sendMessage(page: Page, text: string): Promise<void> {
  const box = page.getByLabel('Message', { exact: true });
  await box.click();
  await box.pressSequentially(text);
  await box.press('Enter');
}

/** The confirmed messages on screen, in order: [id, text]. */
export async function shownMessages(page: Page): Promise<Array<{ id: string; seq: number; text: string }>> {
  return page.locator('.messages .msg:not(.pending)').evaluateAll((els) =>
    els.map((el) => ({
      id: el.getAttribute('data-id') ?? '',
      seq: Number(el.getAttribute('data-seq')),
      text: el.querySelector('.text')?.textContent ?? '',
    })),
  );
}

export async function expectMessage(page: Page, text: string): Promise<void> {
  await page.locator('.messages .msg:not(.pending) .text', { hasText: text }).first().waitFor();
}

/** With WEB_SCREENSHOTS=1 the tests also refresh docs/screenshots/NAME.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env.WEB_SCREENSHOTS !== '1') return;
  const dir = new URL('../../../docs/screenshots/', import.meta.url);
  await mkdir(dir, { recursive: true });
  await page.screenshot({ path: new URL(`${name}.png`, dir).pathname });
}

export function expectNoDuplicates(messages: Array<{ id: string }>): void {
  expect(new Set(messages.map((m) => m.id)).size, 'no message shown twice').to.equal(messages.length);
}
