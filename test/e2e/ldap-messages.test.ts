/**
 * What an admin sees from `check` and `plan` on an LDAP source that yields nobody or names a DN
 * that does not exist: the built CLI as a process against a real slapd and the MIM emulator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startTestEmulator, type TestEmulator } from '../helpers/emulator.js';
import { type LdapSettings, startSlapdDirectory } from '../helpers/ldap-source.js';
import { type Slapd, SUFFIX } from '../helpers/slapd.js';
import { makeWorkspace, type Workspace } from '../helpers/workspace.js';

const PEOPLE = `ou=people,${SUFFIX}`;
const GROUPS = `ou=groups,${SUFFIX}`;

let slapd: Slapd;
/** Reads ou=people as cn=sync with the openldap preset. */
let base: LdapSettings;
let emu: TestEmulator;
const workspaces: Workspace[] = [];

beforeAll(async () => {
  [{ slapd, base }, emu] = await Promise.all([startSlapdDirectory({}, [PEOPLE]), startTestEmulator()]);
});

afterAll(async () => {
  await Promise.all([slapd?.stop(), emu?.close(), ...workspaces.map((w) => w.cleanup())]);
});

/** A workspace whose job reads slapd with these ldap settings (instead of a drop folder). */
async function ldapJob(settings: Record<string, unknown>): Promise<string> {
  const ws = await makeWorkspace({
    mimUrl: emu.url,
    job: { sources: [{ name: 'dir', kind: 'ldap', ...base, ...settings }] },
  });
  workspaces.push(ws);
  return ws.config;
}

describe('an LDAP source that yields nobody', () => {
  it('check warns and names the empty group; plan hard-stops (3) saying which group was empty', async () => {
    const config = await ldapJob({ groups: [`cn=empty,${GROUPS}`] });
    const check = await runCli(['check', '-c', config]);
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toContain('WARNING: 0 people match, so a run would stop here. Likely causes:');
    expect(check.stdout).toContain(
      `- group cn=empty,${GROUPS} has no members (read member, uniqueMember and memberUid)`,
    );

    const plan = await runCli(['plan', '-c', config]);
    expect(plan.code, plan.stderr).toBe(3);
    expect(plan.stdout).toContain(
      `source "dir" returned no people (group cn=empty,${GROUPS} has no members (read member, uniqueMember and memberUid)); an empty source never deletes anyone`,
    );
  });

  it('a posixGroup listing DNs in memberUid is read, not a hard stop', async () => {
    const plan = await runCli(['plan', '-c', await ldapJob({ groups: [`cn=posix-dn,${GROUPS}`] })]);
    expect(plan.stdout).not.toContain('returned no people');
    expect(plan.stdout).toMatch(/Gina/);
  });

  it('the ad preset against OpenLDAP: check says the server is not Active Directory and what to set', async () => {
    const check = await runCli(['check', '-c', await ldapJob({ preset: 'ad' })]);
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toMatch(/is not Active Directory .* set preset: openldap/);
  });
});

describe('a DN that does not exist is a config error (78), base or group alike', () => {
  it.each([
    ['baseDns', { baseDns: [`ou=nowhere,${SUFFIX}`] }, `ou=nowhere,${SUFFIX}`],
    ['groups', { groups: [`cn=nope,${GROUPS}`] }, `cn=nope,${GROUPS}`],
  ])('%s', async (key, settings, dn) => {
    const plan = await runCli(['plan', '-c', await ldapJob(settings)]);
    expect(plan.code, plan.stdout).toBe(78);
    const out = plan.stdout + plan.stderr;
    expect(out).toContain(dn);
    expect(out).toContain(`sources[dir].${key}`);
  });
});
