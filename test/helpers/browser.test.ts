/** The Chromium launcher the console's browser tests, screenshots and bench share. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ChromiumMissingError, cspViolations, launchChromium, useBrowser } from './browser.js';

describe('launchChromium', () => {
  it('names the package to install when Chromium is missing', async () => {
    const missing = launchChromium({ executablePath: '/nonexistent/chromium' });
    await expect(missing).rejects.toBeInstanceOf(ChromiumMissingError);
    await expect(missing).rejects.toThrow(/apt-get install -y chromium/);
  });
});

describe('useBrowser', () => {
  const chromium = useBrowser();

  it('renders a loopback page and reports its CSP violations', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, {
        'content-type': 'text/html',
        'content-security-policy': "default-src 'none'",
      });
      res.end('<!doctype html><h1 id=t>hello</h1><script>window.ran = 1</script>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const w = await chromium.newPage();
      await w.page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      expect(await w.page.locator('#t').textContent()).toBe('hello');
      expect(await w.page.evaluate<unknown>('window.ran')).toBeUndefined();
      expect(cspViolations(w.messages)).toHaveLength(1);
      await w.context.close();
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
