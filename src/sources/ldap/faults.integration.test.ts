/**
 * A directory that stops answering must fail the source: never a partial list. A slapd frozen
 * (SIGSTOP) or killed (SIGKILL) between pages is a check of the source contract suite
 * (test/contract/ldap.contract.integration.test.ts); here: the paging those faults interrupt, and
 * a server frozen before the bind, which fails over to the next URL.
 */
import convict from 'convict';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bulkPeopleLdif,
  fixture,
  type Slapd,
  SUFFIX,
  SYNC_DN,
  SYNC_PASSWORD,
  startSlapd,
} from '../../../test/helpers/slapd.js';
import { scaled } from '../../../test/helpers/timing.js';
import type { Source } from '../../core/source.js';
import { type LdapConfig, ldapSchema } from './config.js';
import { createLdapSource } from './source.js';

let slapd: Slapd;

beforeAll(async () => {
  slapd = await startSlapd({ offline: [fixture('base.ldif'), bulkPeopleLdif(3000)], online: [] });
});

afterAll(async () => {
  await slapd?.stop();
});

function sourceThat(onPage: (page: number) => void, extra: Record<string, unknown> = {}): Source {
  const c = convict(ldapSchema as never);
  c.load({
    preset: 'openldap',
    urls: [slapd.url],
    bindDn: SYNC_DN,
    bindPassword: SYNC_PASSWORD,
    baseDns: [`ou=bulk,${SUFFIX}`],
    pageSize: 100,
    operationTimeoutMs: scaled(3000), // generous: a loaded CI machine must still reach the page where the fault is injected
    ...extra,
  });
  c.validate({ allowed: 'strict' });
  const logger = pino(
    { level: 'debug' },
    {
      write(s: string) {
        const line = JSON.parse(s) as { msg: string; page?: number };
        if (line.msg === 'ldap page read' && typeof line.page === 'number') onPage(line.page);
      },
    },
  );
  const config = { ...(c.getProperties() as object), name: 'dir' } as LdapConfig;
  return createLdapSource(config, { job: 'main', stateDir: '/nonexistent', logger, now: () => new Date() });
}

describe('a server failing mid-search', () => {
  it('reads all 3,000 entries in 30 pages when nothing goes wrong', async () => {
    let pages = 0;
    const snap = await sourceThat((p) => {
      pages = p;
    }).fetch(AbortSignal.timeout(scaled(10_000)));
    expect(snap.records).toHaveLength(3000);
    expect(pages).toBe(30);
  });

  it('frozen before the bind: that URL times out and the next one is used', async () => {
    const second = await startSlapd({
      offline: [fixture('base.ldif'), bulkPeopleLdif(10)],
      online: [],
      pki: slapd.pki,
    });
    slapd.signal('SIGSTOP');
    try {
      const source = sourceThat(() => {}, { urls: [slapd.url, second.url] });
      const snap = await source.fetch(AbortSignal.timeout(scaled(10_000)));
      expect(snap.records).toHaveLength(10);
      expect(snap.description.startsWith(second.url)).toBe(true);
    } finally {
      slapd.signal('SIGCONT');
      await second.stop();
    }
  });
});
