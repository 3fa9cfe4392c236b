/**
 * Where the admin listener may listen (`admin.listen`), checked at start-up and by `config
 * validate`: loopback by default, a non-loopback address only with `admin.token`.
 */
import net from 'node:net';
import { ConfigError } from '../core/errors.js';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** The key every error about the listener's address names. */
export const LISTEN_PLACE = 'admin.listen';

/** `host:port`, `[v6]:port` or `:port` (every interface); '' turns the listener off. */
export function parseListen(listen: string): ListenAddress | null {
  const text = listen.trim();
  if (!text) return null;
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || port > 65_535) {
    throw new ConfigError(`admin.listen "${text}" is not host:port`, {
      place: LISTEN_PLACE,
      fix: 'Write e.g. "127.0.0.1:9464", "[::1]:9464" or "0.0.0.0:9464" (with admin.token); empty turns it off.',
    });
  }
  return { host: m[1] ?? m[2] ?? '', port };
}

export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost') return true;
  if (net.isIPv4(h)) return h.startsWith('127.');
  if (net.isIPv6(h)) return h === '::1' || /^::ffff:127\./.test(h);
  return false;
}

/** The address to bind, or null when off. Refuses a non-loopback bind without a token. */
export function adminAddress(admin: {
  readonly listen: string;
  readonly token: string;
}): ListenAddress | null {
  const address = parseListen(admin.listen);
  if (address && !isLoopback(address.host) && !admin.token) {
    throw new ConfigError(
      `The admin listener would be reachable from the network (${admin.listen}) without a token`,
      {
        place: LISTEN_PLACE,
        fix: 'Set admin.token or admin.tokenFile (MOBILEID_SYNC_ADMIN_TOKEN_FILE), or listen on 127.0.0.1.',
      },
    );
  }
  return address;
}
