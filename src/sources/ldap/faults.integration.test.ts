/**
 * A directory that stops answering must fail the source: never a partial list. A slapd frozen
 * (SIGSTOP) or killed (SIGKILL) between pages is a check of the source contract suite
 * (test/contract/ldap.contract.integration.test.ts); here: the paging those faults interrupt, and
 * a server frozen before the bind, which fails over to the next URL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LdapSettings, makeLdapSource, startSlapdDirectory } from '../../../test/helpers/ldap-source.js';
import { bulkPeopleLdif, fixture, type Slapd, SUFFIX, startSlapd } from '../../../test/helpers/slapd.js';
import { scaled } from '../../../test/helpers/timing.js';

let slapd: Slapd;
let base: LdapSettings;

beforeAll(async () => {
  ({ slapd, base } = await startSlapdDirectory(
    { offline: [fixture('base.ldif'), bulkPeopleLdif(3000)], online: [] },
    [`ou=bulk,${SUFFIX}`],
  ));
});

afterAll(async () => {
  await slapd?.stop();
});

function sourceThat(
  onPage: (page: number) => void,
  extra: LdapSettings = {},
): ReturnType<typeof makeLdapSource> {
  const settings = {
    ...base,
    pageSize: 100,
    operationTimeoutMs: scaled(3000), // generous: a loaded CI machine must still reach the page where the fault is injected
    ...extra,
  };
  return makeLdapSource(settings, {
    onLog: (line) => {
      if (line.msg === 'ldap page read' && typeof line.page === 'number') onPage(line.page);
    },
  });
}

describe('a server failing mid-search', () => {
  it('reads all 3,000 entries in 30 pages when nothing goes wrong', async () => {
    let pages = 0;
    const { source } = sourceThat((p) => {
      pages = p;
    });
    const snap = await source.fetch(AbortSignal.timeout(scaled(10_000)));
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
      const { source, logs } = sourceThat(() => {}, { urls: [slapd.url, second.url] });
      // Which server each step went to, should this fail (it once failed in CI with a search timeout).
      const trail = (): string =>
        `frozen ${slapd.url}, second ${second.url}; log: ${logs.map((l) => JSON.stringify(l)).join('\n')}`;
      const snap = await source.fetch(AbortSignal.timeout(scaled(10_000))).catch((e: unknown) => {
        throw new Error(`${e instanceof Error ? e.message : String(e)} (${trail()})`, { cause: e });
      });
      expect(snap.records, trail()).toHaveLength(10);
      expect(snap.description.startsWith(second.url), trail()).toBe(true);
      expect(
        logs.find((l) => l.msg === 'LDAP fail-over: using the next server'),
        trail(),
      ).toMatchObject({
        url: second.url,
        failed: [slapd.url],
      });
    } finally {
      slapd.signal('SIGCONT');
      await second.stop();
    }
  });
});
