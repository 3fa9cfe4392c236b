/**
 * Adversarial rows for issue #10 items 12 and 15: an LDAP filter that ldapts would read "somehow"
 * (a missing final ")", a later clause swallowed by an OR), and duplicates whose winner must follow
 * the documented rule — last pushed, then source precedence, then file order — not Sync ID order.
 * Plus the carryForwardDays boundary: 0 means a pushed person with an invalid row is never carried.
 */
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fixture, type Slapd, SUFFIX, SYNC_DN, SYNC_PASSWORD, startSlapd } from '../helpers/slapd.js';
import { csvBaseline, mustSync, type Row, timed } from './row.js';
import { csvOf, makePeople, type Person, type World } from './world.js';

/** Four people under ou=bulk: Sales and Support, each with one staff member and one contractor. */
const STAFF: readonly (Person & { dept: string; type: string })[] = [
  { uid: 's1', dept: 'Sales', type: 'staff' },
  { uid: 's2', dept: 'Sales', type: 'contractor' },
  { uid: 't1', dept: 'Support', type: 'staff' },
  { uid: 't2', dept: 'Support', type: 'contractor' },
].map(({ uid, dept, type }, i) => ({
  firstName: 'Dept',
  lastName: `${dept}${uid}`,
  email: `${uid}@dept.example.test`,
  id: String(2001 + i),
  syncId: uid,
  dept,
  type,
}));

function staffLdif(): string {
  return STAFF.map(
    (p) =>
      `dn: uid=${p.syncId},ou=bulk,${SUFFIX}\nobjectClass: inetOrgPerson\nuid: ${p.syncId}\n` +
      `cn: ${p.firstName} ${p.lastName}\nsn: ${p.lastName}\ngivenName: ${p.firstName}\nmail: ${p.email}\n` +
      `employeeNumber: ${p.id}\ndepartmentNumber: ${p.dept}\nemployeeType: ${p.type}\n`,
  ).join('\n');
}

const person = ({ dept: _d, type: _t, ...p }: (typeof STAFF)[number]): Person => p;
const pick = (test: (p: (typeof STAFF)[number]) => boolean): Person[] => STAFF.filter(test).map(person);

const SALES = '(&(objectClass=inetOrgPerson)(departmentNumber=Sales))';
const STAFF_OF_TWO = '(&(|(departmentNumber=Sales)(departmentNumber=Support))(employeeType=staff))';
const LEAVERS = '(|(employeeType=contractor)(employeeType=left))';

async function useDirectory(w: World, slapd: Slapd, keys: Record<string, unknown>): Promise<void> {
  w.job.sources = [
    {
      name: 'dir',
      kind: 'ldap',
      preset: 'openldap',
      urls: [slapd.url],
      bindDn: SYNC_DN,
      bindPassword: SYNC_PASSWORD,
      baseDns: [`ou=bulk,${SUFFIX}`],
      attributes: { syncId: 'uid' },
      ...keys,
    },
  ];
  await w.saveConfig();
}

/**
 * A baseline pushed with a correct filter, then the admin's edit with a typo in it. The clean run
 * after healing uses the correct filter again, so the desired set is the baseline.
 */
function filterTypoRow(
  name: string,
  good: Record<string, string>,
  typo: Record<string, string>,
  baseline: Person[],
  key: string,
): Row {
  const slapds = new WeakMap<World, Slapd>();
  return {
    name,
    setup: async (w) => {
      const slapd = await startSlapd({ offline: [fixture('base.ldif'), staffLdif()], online: [] });
      w.cleanups.push(() => slapd.stop());
      slapds.set(w, slapd);
      await useDirectory(w, slapd, good);
      await mustSync(w, 'LDAP baseline', '--accept-unknown-baseline');
      w.desired = baseline;
      await useDirectory(w, slapd, typo);
    },
    act: (w) => timed(() => w.cli('sync')),
    expect: {
      exit: 78,
      text: [
        new RegExp(`jobs\\[main\\]\\.sources\\[dir\\]\\.${key}`),
        /not a valid LDAP filter/,
        /character \d+/,
      ],
      mim: 'unchanged',
      pending: false,
    },
    heal: async (w) => {
      const slapd = slapds.get(w);
      if (!slapd) throw new Error('no slapd for this row');
      await useDirectory(w, slapd, good);
    },
  };
}

/** Writes a file into a second drop folder (complete at once: an mtime in the past). */
async function dropInto(folder: string, name: string, content: string): Promise<void> {
  await mkdir(folder, { recursive: true });
  const file = path.join(folder, name);
  await writeFile(file, content);
  const t = new Date(Date.now() - 600_000);
  await utimes(file, t, t);
}

export const ADVERSARIAL_LDAPMERGE_ROWS: Row[] = [
  filterTypoRow(
    'adversarial: LDAP filter missing its final ")" is refused (78), MIM unchanged',
    { filter: SALES },
    { filter: SALES.slice(0, -1) },
    pick((p) => p.dept === 'Sales'),
    'filter',
  ),
  filterTypoRow(
    'adversarial: LDAP filter whose later clause would move inside an OR is refused (78)',
    { filter: STAFF_OF_TWO },
    // The ")" closing the OR is missing: ldapts reads (|Sales Support staff) and picks all four.
    { filter: '(&(|(departmentNumber=Sales)(departmentNumber=Support)(employeeType=staff))' },
    pick((p) => p.type === 'staff'),
    'filter',
  ),
  filterTypoRow(
    'adversarial: LDAP disabledFilter missing its final ")" is refused (78)',
    { filter: '(objectClass=inetOrgPerson)', disabledFilter: LEAVERS },
    { filter: '(objectClass=inetOrgPerson)', disabledFilter: LEAVERS.slice(0, -1) },
    pick((p) => p.type === 'staff'),
    'disabledFilter',
  ),
  {
    // HR (first source) and the contractors' list hold one new person under two Sync IDs; the
    // contractor's sorts first. HR has precedence, so HR's record is the one MIM gets.
    name: 'adversarial: one e-mail under two Sync IDs in two sources: the higher-precedence source wins',
    setup: async (w) => {
      const staff = await csvBaseline(w);
      const drop2 = path.join(w.dir, 'drop-contractors');
      w.job.sources.push({ name: 'contractors', kind: 'csv-folder', folder: drop2, stableMs: 0 });
      await w.saveConfig();
      const newcomer: Person = {
        firstName: 'Hanna',
        lastName: 'Hr',
        email: 'newcomer@example.com',
        id: 'B0041',
        syncId: 'P0041',
      };
      const contractor: Person = {
        firstName: 'Carl',
        lastName: 'Contractor',
        email: 'carl@example.com',
        id: 'K1',
        syncId: 'C0001',
      };
      const sameMail: Person = {
        firstName: 'Hanna',
        lastName: 'Contractor-Name',
        email: 'newcomer@example.com',
        id: 'K2',
        syncId: 'C0002',
      };
      await w.dropFile(csvOf([...staff, newcomer]));
      await dropInto(drop2, 'contractors.csv', csvOf([contractor, sameMail]));
      w.desired = [...staff, newcomer, contractor];
    },
    act: (w) => timed(() => w.cli('sync')),
    expect: {
      exit: 0,
      text: [/duplicate e-mail "newcomer@example\.com"/, /contractors\.csv:3/],
      mim: 'applied',
      pending: false,
    },
  },
  {
    // A first upload: nothing was pushed, so the earlier row of the file wins, whatever the Sync IDs.
    name: 'adversarial: first upload, one e-mail twice in one file: the earlier row wins',
    setup: async (w) => {
      const people = makePeople(40);
      const early: Person = {
        firstName: 'Erika',
        lastName: 'Early',
        email: 'dup@example.com',
        id: 'B0099',
        syncId: 'P0099',
      };
      const later: Person = {
        firstName: 'Lars',
        lastName: 'Later',
        email: 'dup@example.com',
        id: 'B0050',
        syncId: 'P0050',
      };
      await w.dropFile(csvOf([...people, early, later]));
      w.desired = [...people, early];
    },
    act: (w) => timed(() => w.cli('sync', '--accept-unknown-baseline')),
    expect: {
      exit: 0,
      text: [/duplicate e-mail "dup@example\.com"/, /staff-001\.csv:43/],
      mim: 'applied',
      pending: false,
    },
  },
  {
    // carryForwardDays 0 = never carried: the person whose row broke is removed at once (an
    // intended delete, within the limits), not carried for one more run.
    name: 'adversarial: guard.carryForwardDays 0 carries nobody, not even for one run',
    setup: async (w) => {
      const people = await csvBaseline(w);
      const [first, ...rest] = people;
      if (!first) throw new Error('empty baseline');
      (w.job as Record<string, unknown>).guard = { carryForwardDays: 0 };
      await w.saveConfig();
      await w.dropFile(csvOf([{ ...first, email: 'broken@' }, ...rest]));
      w.desired = rest;
    },
    act: (w) => timed(() => w.cli('sync')),
    expect: { exit: 0, text: [/carried forward for too long/], mim: 'applied', pending: false },
    allowedDeletes: ['P0001', 'p0001@example.com'],
  },
];
