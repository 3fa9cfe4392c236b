/**
 * Debian's Chromium, driven by playwright-core: never a browser download. Plain JavaScript so
 * that scripts/screenshots.mjs and bench/console.mjs launch it exactly as the tests do
 * (test/helpers/browser.ts); the types are in chromium.d.mts.
 */
import { accessSync, constants } from 'node:fs';
import { chromium } from 'playwright-core';

/** Where Debian puts it; MOBILEID_SYNC_CHROMIUM points elsewhere (another distribution's build). */
export const CHROMIUM_PATH = process.env.MOBILEID_SYNC_CHROMIUM || '/usr/bin/chromium';

/**
 * Headless, as root (CI is: hence no sandbox), and quiet on a closed network: without the
 * background-networking flags Chromium keeps trying Google's hosts at every start. Playwright
 * adds a fresh temporary --user-data-dir of its own for each launch and removes it on close.
 */
export const CHROMIUM_ARGS = Object.freeze([
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]);

/** Thrown when the executable is missing, with the command that installs it. */
export class ChromiumMissingError extends Error {
  constructor(path) {
    super(
      `Chromium is not installed at ${path}. The console's browser tests, screenshots and bench drive ` +
        "Debian's Chromium: install it with `sudo apt-get install -y chromium` (or run " +
        'scripts/install-test-deps.sh), or set MOBILEID_SYNC_CHROMIUM to another Chromium executable.',
    );
    this.name = 'ChromiumMissingError';
  }
}

/** Starts a headless Chromium; close it with `browser.close()`. */
export async function launchChromium(options = {}) {
  const executablePath = options.executablePath ?? CHROMIUM_PATH;
  try {
    accessSync(executablePath, constants.X_OK);
  } catch {
    throw new ChromiumMissingError(executablePath);
  }
  return chromium.launch({
    executablePath,
    headless: true,
    args: [...CHROMIUM_ARGS],
    timeout: options.timeoutMs ?? 60_000,
  });
}
