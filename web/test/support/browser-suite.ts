import type { Browser, BrowserContext, Page } from 'playwright-core';
import { expect } from 'chai';
import { launchChromium, newUserPage, pageErrors } from './browser.js';
import { WebSystem } from './web-system.js';

export interface BrowserSuite {
  /** The services of this describe block (started in its `before`). */
  readonly system: WebSystem;
  /** A new person: a browser context of their own with one page on the client (or at `url`, e.g. `about:blank`). */
  userPage(viewport?: { width: number; height: number }, url?: string): Promise<Page>;
}

/**
 * The set-up every browser describe block shares, registered in the calling block: the
 * services and one Chromium before it, each test's pages checked for uncaught errors and
 * their contexts closed after it, both stopped at the end.
 */
export function browserSuite(settings: Parameters<typeof WebSystem.start>[0] = {}): BrowserSuite {
  let system: WebSystem | undefined;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  const pages: Page[] = [];

  before(async () => {
    [system, browser] = await Promise.all([WebSystem.start(settings), launchChromium()]);
  });

  afterEach(async () => {
    for (const page of pages.splice(0)) expect(pageErrors.get(page) ?? [], 'uncaught errors in the page').to.deep.equal([]);
    await Promise.all(contexts.splice(0).map((c) => c.close()));
  });

  after(async () => {
    await browser?.close();
    await system?.stop();
  });

  const started = (): WebSystem => {
    if (!system) throw new Error('browserSuite: the system is started in before()');
    return system;
  };
  return {
    get system(): WebSystem {
      return started();
    },
    async userPage(viewport, url) {
      const { context, page } = await newUserPage(browser!, url ?? started().baseUrl, viewport);
      contexts.push(context);
      pages.push(page);
      return page;
    },
  };
}
