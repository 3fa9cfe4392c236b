/**
 * `plan --explain` as a process against the emulator: one person's answer for each way a person
 * can end up in or out of an upload, and proof that asking changes nothing on disk or in MIM.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startTestEmulator, type TestEmulator } from '../helpers/emulator.js';
import { startSlapdDirectory } from '../helpers/ldap-source.js';
import { fixture, type Slapd, SUFFIX } from '../helpers/slapd.js';
import { makeWorkspace, type Workspace } from '../helpers/workspace.js';

const HEADER = 'Vorname,Nachname,E-Mail,Ausweis,Personalnummer\n';
const ADA = 'Ada,Lovelace,ada@example.com,1001,E1\n';
const BOB = 'Bob,Builder,bob@example.com,1002,E2\n';
const CAROL = 'Carol,Shaw,carol@example.com,1003,E3\n';
const DAN = 'Dan,Brown,dan@example.com,1004,E4\n';

let emu: TestEmulator;
let ws: Workspace;

/** Every file under `dir`: relative name → size, mtime and SHA-256. */
async function tree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const full = path.join(entry.parentPath, entry.name);
    const rel = path.relative(dir, full);
    if (!entry.isFile()) {
      out[rel] = 'dir';
      continue;
    }
    const s = await stat(full);
    const hash = createHash('sha256')
      .update(await readFile(full))
      .digest('hex');
    out[rel] = `${s.size} ${s.mtimeMs} ${hash}`;
  }
  return out;
}

const cli = (...args: string[]) => runCli(['plan', '--config', ws.config, ...args]);

beforeAll(async () => {
  emu = await startTestEmulator();
  ws = await makeWorkspace({
    mimUrl: emu.url,
    job: { guard: { maxDeletePercent: 100, maxShrinkPercent: 100 } },
  });
  await ws.dropFile('a.csv', HEADER + ADA + BOB + CAROL + DAN);
  const first = await runCli(['sync', '--accept-unknown-baseline', '--config', ws.config]);
  expect(first.code, first.stdout + first.stderr).toBe(0);
  await ws.dropFile(
    'b.csv',
    HEADER +
      ADA.replace('Lovelace', 'King') + // line 2: updated
      BOB.replace('1002', 'Ä') + // line 3: invalid ID, pushed before: carried forward
      DAN + // line 4: unchanged
      'Eve,Online,eve@example.com,1005,E5\n' + // line 5: added
      'Frank,Empty,frank@example.com,,E6\n' + // line 6: rejected (no ID)
      'Gina,Twin,DAN@example.com,1007,E7\n', // line 7: duplicate e-mail of line 4
  );
});
afterAll(async () => {
  await ws?.cleanup();
  await emu?.close();
});

describe('plan --explain', () => {
  it('answers for each person and changes nothing on disk or in MIM', async () => {
    const before = { drop: await tree(ws.drop), state: await tree(ws.state) };
    const uploads = (await emu.uploads()).length;

    const eve = await cli('--explain', 'EVE@example.com');
    expect(eve.code, eve.stderr).toBe(2);
    expect(eve.stdout).toContain('eve@example.com is new: the upload adds them');
    expect(eve.stdout).toContain('b.csv:5: read');
    expect(eve.stdout).toMatch(
      /E-mail address\s+"eve@example.com"\s+from column 3 "E-Mail" \(columns\.email or map\.email\)/,
    );
    expect(eve.stdout).toContain('Last upload: not in it');

    const ada = await cli('--explain', 'E1');
    expect(ada.stdout).toContain(
      'ada@example.com is in the upload with changes: lastName "Lovelace" → "King"',
    );
    expect(ada.stdout).toContain('Last name: "Lovelace" → "King"');
    expect(ada.stdout).toContain('Last upload: held Ada Lovelace <ada@example.com>');

    const frank = await cli('--explain', 'frank@example.com');
    expect(frank.stdout).toContain(
      'frank@example.com is not in the upload: rejected (hr: b.csv:6: ID is empty)',
    );
    expect(frank.stdout).toContain('Plan: not in the upload');

    const gina = await cli('--explain', 'E7');
    expect(gina.stdout).toMatch(
      /E7 is not in the upload: b\.csv:7: duplicate e-mail "dan@example\.com", also at hr: b\.csv:4 \(that one is kept: it comes first in the file\)/,
    );

    const bob = await cli('--explain', 'bob@example.com');
    expect(bob.stdout).toContain('stays in the upload with the data pushed last (carried forward since');
    expect(bob.stdout).toContain('hr: b.csv:3');
    expect(bob.stdout).toContain('Plan: unchanged');

    const carol = await cli('--explain', 'carol@example.com');
    expect(carol.stdout).toContain(
      'carol@example.com was in the last upload but not in this one, so MIM deletes them and e-mails them: no source holds them any more',
    );
    expect(carol.stdout).toContain('Plan: delete');

    const nobody = await cli('--explain', 'ada@exampel.com');
    expect(nobody.stdout).toContain('ada@exampel.com was not found');
    expect(nobody.stdout).toMatch(
      /hr \(csv-folder\), looked in .*b\.csv \(6 rows, by e-mail and Sync ID\):\n\s+nothing found/,
    );
    expect(nobody.stdout).toContain('Did you mean: ada@example.com?');

    const json = await cli('--explain', 'E5', '--json');
    const body = JSON.parse(json.stdout) as {
      outcome: string;
      person: { verdict: string; plan: { action: string } };
    };
    expect(body).toMatchObject({ outcome: 'planned', person: { verdict: 'added', plan: { action: 'add' } } });

    expect({ drop: await tree(ws.drop), state: await tree(ws.state) }).toEqual(before);
    expect(await emu.uploads()).toHaveLength(uploads);
  });

  it('refuses an empty key as a usage error', async () => {
    const r = await cli('--explain', ' ');
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('--explain needs an e-mail address or a Sync ID');
  });
});

describe('plan --explain with an ldap source', () => {
  let slapd: Slapd;
  let dir: string;
  let config: string;

  beforeAll(async () => {
    const started = await startSlapdDirectory({ offline: [fixture('base.ldif'), fixture('people.ldif')] }, [
      `ou=people,${SUFFIX}`,
    ]);
    slapd = started.slapd;
    dir = await mkdtemp(path.join(os.tmpdir(), 'mobileid-explain-'));
    config = path.join(dir, 'config.json5');
    const job = {
      name: 'dir',
      mim: { baseUrl: emu.url, project: 'demo', token: 'test-token' },
      sources: [
        {
          name: 'people',
          kind: 'ldap',
          ...started.base,
          filter: '(&(objectClass=inetOrgPerson)(!(uid=chris)))',
          groups: [`cn=staff,ou=groups,${SUFFIX}`],
          disabledFilter: '(employeeType=disabled)',
        },
      ],
    };
    await writeFile(
      config,
      JSON.stringify({ stateDir: path.join(dir, 'state'), admin: { listen: '' }, jobs: [job] }),
    );
  });
  afterAll(async () => {
    await slapd?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const explain = (key: string) => runCli(['plan', '-c', config, '--explain', key]);

  it('names the rule that leaves each person out', async () => {
    const uploads = (await emu.uploads()).length;
    const lena = await explain('lena@example.test');
    expect(lena.stdout, lena.stderr).toContain(
      'lena@example.test is not in the upload: people: uid=lena,ou=people,dc=example,dc=test: disabled ((employeeType=disabled); userAccountControl 546)',
    );
    const gina = await explain('gina@example.test');
    expect(gina.stdout).toContain(
      `uid=gina,ou=people,${SUFFIX}: left out by the source: not a member of cn=staff,ou=groups,${SUFFIX} (direct or nested)`,
    );
    const chris = await explain('chris@example.test');
    expect(chris.stdout).toContain('filter (&(objectClass=inetOrgPerson)(!(uid=chris))) does not match');
    const carol = await explain('carol@example.test');
    expect(carol.stdout).toContain('carol@example.test is new: the upload adds them');
    expect(carol.stdout).toMatch(/E-mail address\s+"carol@example\.test"\s+from mail \(attributes\.email\)/);
    expect(await emu.uploads()).toHaveLength(uploads);
  });
});
