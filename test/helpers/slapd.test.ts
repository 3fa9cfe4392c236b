import net from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { listensOn } from './slapd.js';

let server: net.Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

it("tells a port slapd listens on from a port another process took first (the helper's start check)", async () => {
  server = net.createServer();
  const s = server;
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  expect(listensOn(process.pid, [{ host: '127.0.0.1', port }])).toBe(true);
  // The same port, held by this process, is not the parent's (the vitest main process).
  expect(listensOn(process.ppid, [{ host: '127.0.0.1', port }])).toBe(false);
  // Every address must be held: one more on 127.0.0.2 that nobody listens on fails the check.
  expect(
    listensOn(process.pid, [
      { host: '127.0.0.1', port },
      { host: '127.0.0.2', port },
    ]),
  ).toBe(false);
  // A process that is gone listens on nothing.
  expect(listensOn(2 ** 22 + 1, [{ host: '127.0.0.1', port }])).toBe(false);
});
