/**
 * The source contract for ldap, against a private OpenLDAP slapd per world (test/helpers/slapd.ts),
 * bound as cn=sync so the server's limits apply. Faults are injected between pages: the source's
 * own "ldap page read" log line is the trigger to freeze (SIGSTOP) or kill (SIGKILL) the server.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { bulkPeopleLdif, fixture, SUFFIX, SYNC_DN, SYNC_PASSWORD, startSlapd } from '../helpers/slapd.js';
import { scaled } from '../helpers/timing.js';
import { makeTestPki } from '../helpers/tls.js';
import {
  type ContractWorld,
  describeSourceContract,
  type LogTap,
  type WorldSpec,
} from './source-contract.js';

const BULK = `ou=bulk,${SUFFIX}`;

/** People MIM would refuse (an ID that is not ASCII), beside the bulk people. */
function invalidLdif(n: number): string {
  return Array.from(
    { length: n },
    (_, i) =>
      `dn: uid=bad${i},${BULK}\nobjectClass: inetOrgPerson\nuid: bad${i}\ncn: Bad ${i}\nsn: Bad${i}\n` +
      `givenName: Bad\nmail: bad${i}@bulk.example.test\nemployeeNumber: Nr-Ä${i}\n`,
  ).join('\n');
}

/** The page after which each break hits, and the signal it sends. */
const BREAKS: Record<string, { readonly page: number; readonly signal: NodeJS.Signals }> = {
  'killed (SIGKILL) after page 2': { page: 2, signal: 'SIGKILL' },
  'frozen (SIGSTOP) after page 3': { page: 3, signal: 'SIGSTOP' },
};

/** Calls `then` once, on the source's log line for page `page`. */
function onPage(logs: LogTap, page: number, then: () => void): void {
  const off = logs.on((line) => {
    if (line.msg === 'ldap page read' && line.page === page) {
      off();
      then();
    }
  });
}

/** One PKI for every world's server (saves making one per start); outlives each server's dir. */
const pkiDir = mkdtempSync(path.join(os.tmpdir(), 'contract-ldap-pki-'));
const pki = makeTestPki(pkiDir);
afterAll(() => rmSync(pkiDir, { recursive: true, force: true }));

async function ldapWorld(spec: WorldSpec, logs: LogTap): Promise<ContractWorld> {
  const slapd = await startSlapd({
    offline: [fixture('base.ldif'), bulkPeopleLdif(spec.people), invalidLdif(spec.invalid)],
    online: [],
    pki,
  });
  return {
    settings: {
      preset: 'openldap',
      urls: [slapd.url],
      bindDn: SYNC_DN,
      bindPassword: SYNC_PASSWORD,
      baseDns: [BULK],
      pageSize: 100,
      // generous: a loaded CI machine must still reach the page where the fault is injected
      operationTimeoutMs: scaled(3_000),
    },
    emails: Array.from(
      { length: spec.people },
      (_, i) => `u${String(i + 1).padStart(6, '0')}@bulk.example.test`,
    ),
    inputDirs: [],
    midRead: () => new Promise((resolve) => onPage(logs, 1, () => resolve())),
    async breakNextRead(name) {
      const b = BREAKS[name];
      if (!b) throw new Error(`no break ${name}`);
      onPage(logs, b.page, () => slapd.signal(b.signal));
    },
    close: () => slapd.stop(),
  };
}

describeSourceContract({
  kind: 'ldap',
  people: 1_000,
  ref: /^uid=[^,]+,ou=bulk,dc=example,dc=test$/,
  breaks: [
    // The first break is also the one the dry-run and secret checks use: the fast one.
    {
      name: 'killed (SIGKILL) after page 2',
      message:
        /connection to ldap:\/\/127\.0\.0\.1:\d+ dropped during the search of ou=bulk,dc=example,dc=test after [23]00 entries/,
    },
    {
      name: 'frozen (SIGSTOP) after page 3',
      message:
        /did not answer a page of the search for ou=bulk,dc=example,dc=test in time \(after \d+ entries\)/,
    },
  ],
  consumesInput: false,
  secret: {
    key: 'bindPassword',
    refused: new RegExp(
      `^Bind as ${SYNC_DN} at ldap://127\\.0\\.0\\.1:\\d+ failed: invalid credentials( \\[[^\\]]*\\])? — `,
    ),
  },
  world: ldapWorld,
});
