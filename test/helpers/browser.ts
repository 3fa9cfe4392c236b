/**
 * One headless Chromium per test file (Debian's, driven by playwright-core: chromium.mjs), started
 * in beforeAll and stopped in afterAll, plus what the console tests read from a page: console
 * messages (CSP reports land there), page errors, and a login through the real form.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { launchChromium } from './chromium.mjs';
import { scaled } from './timing.js';

export { CHROMIUM_ARGS, CHROMIUM_PATH, ChromiumMissingError, launchChromium } from './chromium.mjs';

/** How long a page may take to answer a navigation or show a selector, before scaling. */
export const PAGE_TIMEOUT_MS = 10_000;

export interface TestBrowser {
  /** The running browser; throws before beforeAll ran. */
  readonly browser: Browser;
  /** A fresh context (its own cookie jar) with scaled timeouts; closed with the browser. */
  newContext(): Promise<BrowserContext>;
  /** A page in a fresh context, with its console messages and errors recorded. */
  newPage(): Promise<WatchedPage>;
}

/**
 * Registers beforeAll/afterAll for one Chromium shared by the file's tests. Contexts are cheap:
 * give each test its own, so cookies from one test never log another one in.
 */
export function useBrowser(): TestBrowser {
  let running: Browser | undefined;
  beforeAll(async () => {
    running = await launchChromium({ timeoutMs: scaled(60_000) });
  });
  afterAll(async () => {
    await running?.close();
  });
  const browser = (): Browser => {
    if (!running) throw new Error('useBrowser(): the browser starts in beforeAll; use it inside a test');
    return running;
  };
  const newContext = async (): Promise<BrowserContext> => {
    const context = await browser().newContext();
    context.setDefaultTimeout(scaled(PAGE_TIMEOUT_MS));
    context.setDefaultNavigationTimeout(scaled(PAGE_TIMEOUT_MS));
    return context;
  };
  return {
    get browser() {
      return browser();
    },
    newContext,
    newPage: async () => watch(await (await newContext()).newPage()),
  };
}

export interface WatchedPage {
  readonly page: Page;
  readonly context: BrowserContext;
  /** Every console message the page printed, as `type: text` (CSP violations are `error: …`). */
  readonly messages: string[];
  /** Uncaught exceptions in the page (a page of ours runs no script, so any is news). */
  readonly errors: string[];
}

export function watch(page: Page): WatchedPage {
  const messages: string[] = [];
  const errors: string[] = [];
  page.on('console', (m) => messages.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => errors.push(e.message));
  return { page, context: page.context(), messages, errors };
}

/** The messages that report a Content-Security-Policy violation. */
export function cspViolations(messages: readonly string[]): string[] {
  return messages.filter((m) => /Content Security Policy|Content-Security-Policy/i.test(m));
}
