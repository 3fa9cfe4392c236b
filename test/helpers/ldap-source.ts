/**
 * The ldap source against a real directory, for its integration tests: a slapd or a Samba AD DC with
 * the settings that read it as the normal sync account, and the source built as the config loader
 * builds it (schema check included), with a debug logger whose lines the test can read.
 */
import convict from 'convict';
import pino from 'pino';
import type { Source, SourceSnapshot } from '../../src/core/source.js';
import { type LdapConfig, ldapSchema } from '../../src/sources/ldap/config.js';
import { createLdapSource } from '../../src/sources/ldap/source.js';
import { AD_PEOPLE, AD_SYNC_DN, AD_SYNC_PASSWORD } from '../fixtures/ldap/ad-directory.js';
import { loadAdDirectory, type SambaDc, startSambaDc } from './samba.js';
import { type Slapd, type SlapdOptions, SYNC_DN, SYNC_PASSWORD, startSlapd } from './slapd.js';
import { scaled } from './timing.js';

/** An ldap source's settings as written in a job's config (before the schema check). */
export type LdapSettings = Record<string, unknown>;

/** One line the source logged. */
export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [k: string]: unknown;
}

/** A slapd and the settings that read `baseDns` as cn=sync, so the server's size limits apply. */
export async function startSlapdDirectory(
  options: SlapdOptions,
  baseDns: readonly string[],
): Promise<{ slapd: Slapd; base: LdapSettings }> {
  const slapd = await startSlapd(options);
  const base = {
    preset: 'openldap',
    urls: [slapd.url],
    bindDn: SYNC_DN,
    bindPassword: SYNC_PASSWORD,
    baseDns,
  };
  return { slapd, base };
}

/** A Samba AD DC with test/fixtures/ldap/ad-directory.ts loaded, and the settings that read its people. */
export async function startAdDirectory(): Promise<{ dc: SambaDc; base: LdapSettings }> {
  const dc = await startSambaDc();
  await loadAdDirectory(dc);
  const base = {
    preset: 'ad',
    urls: [dc.url],
    bindDn: AD_SYNC_DN,
    bindPassword: AD_SYNC_PASSWORD,
    baseDns: [AD_PEOPLE],
  };
  return { dc, base };
}

/**
 * The source's config as the loader reads it: the schema fills in defaults and, unless `check` is
 * false (to reach the source's own checks), refuses unknown keys and invalid values.
 */
export function ldapConfig(settings: LdapSettings, { name = 'dir', check = true } = {}): LdapConfig {
  const c = convict(ldapSchema as never);
  c.load(settings);
  if (check) c.validate({ allowed: 'strict' });
  return { ...(c.getProperties() as object), name } as LdapConfig;
}

/**
 * A source for `settings` (`name` and `check` as for ldapConfig) whose debug log lines are kept in
 * `logs`, and shown to `onLog` as they come.
 */
export function makeLdapSource(
  settings: LdapSettings,
  {
    name = 'dir',
    check = true,
    onLog,
  }: { name?: string; check?: boolean; onLog?: (line: LogLine) => void } = {},
): { source: Source; logs: LogLine[] } {
  const logs: LogLine[] = [];
  const logger = pino(
    { level: 'debug' },
    {
      write(s: string) {
        const line = JSON.parse(s) as LogLine;
        logs.push(line);
        onLog?.(line);
      },
    },
  );
  const source = createLdapSource(ldapConfig(settings, { name, check }), {
    job: 'main',
    stateDir: '/nonexistent',
    logger,
    now: () => new Date(),
  });
  return { source, logs };
}

/** One fetch with a (scaled) 20 s deadline; the source is closed after it. */
export async function fetchLdap(settings: LdapSettings, name = 'dir'): Promise<SourceSnapshot> {
  const { source } = makeLdapSource(settings, { name });
  try {
    return await source.fetch(AbortSignal.timeout(scaled(20_000)));
  } finally {
    await source.close();
  }
}
