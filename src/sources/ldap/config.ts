/**
 * The `ldap` source's keys (LDAP and Active Directory) and their checks; settings.ts resolves them
 * into what the source uses. Every check here throws naming the key, so a bad config stops at
 * `config validate`. No ldapts here: every command loads this schema.
 */
import {
  type ConfigOf,
  count,
  durationMs,
  key,
  MAX_TIMER_MS,
  type SchemaTree,
  secret,
  stringList,
} from '../../config/define.js';
import { mapSchema } from '../field-map.js';
import { describeFilterProblem, parseFilter } from './filter-parse.js';
import { templateProblem } from './map.js';

/** The validated keys, as the loader hands them to `create` (with the source's name). */
export type LdapConfig = ConfigOf<typeof ldapSchema> & { readonly name: string };
export type LdapPreset = LdapConfig['preset'];
export type GroupMethod = LdapConfig['groupMethod'];
export type SyncIdFormat = LdapConfig['syncIdFormat'];

/** The AD rule that tests bits of an integer: `(userAccountControl:<BIT_AND>:=2)` = "disabled". */
export const MATCHING_RULE_BIT_AND = '1.2.840.113556.1.4.803';

interface PresetDefaults {
  readonly filter: string;
  readonly disabledFilter: string;
  readonly groupMethod: Exclude<GroupMethod, 'auto'>;
  readonly attributes: LdapConfig['attributes'];
}

export const PRESETS: Readonly<Record<LdapPreset, PresetDefaults>> = {
  ad: {
    filter: '(&(objectCategory=person)(objectClass=user))',
    disabledFilter: `(userAccountControl:${MATCHING_RULE_BIT_AND}:=2)`,
    groupMethod: 'in-chain',
    attributes: {
      firstName: 'givenName',
      lastName: 'sn',
      email: 'mail',
      emailFallback: 'userPrincipalName',
      id: 'employeeID',
      syncId: 'objectGUID',
      displayName: 'displayName',
      commonName: 'cn',
    },
  },
  openldap: {
    filter: '(objectClass=inetOrgPerson)',
    disabledFilter: '',
    groupMethod: 'walk',
    attributes: {
      firstName: 'givenName',
      lastName: 'sn',
      email: 'mail',
      emailFallback: 'none',
      id: 'employeeNumber',
      syncId: 'entryUUID',
      displayName: 'displayName',
      commonName: 'cn',
    },
  },
};

export const URL_RE = /^ldaps?:\/\/[^/?#\s]+\/?$/i;
const ATTR_RE = /^[A-Za-z][A-Za-z0-9-]*$|^\d+(\.\d+)+$/;

/**
 * Checks a user-supplied filter against RFC 4515 with our own parser (ldapts's tolerates a
 * missing ")"); returns the reason with the character position, or undefined when valid.
 */
export function filterProblem(text: string): string | undefined {
  if (text.trim() === '') return undefined;
  const r = parseFilter(text);
  return r.ok ? undefined : `not a valid LDAP filter: ${describeFilterProblem(text, r.error)}`;
}

function filterFormat(name: string) {
  return (value: unknown): void => {
    if (typeof value !== 'string') throw new Error(`${name} must be a string`);
    const problem = filterProblem(value);
    // convict puts the key in front; the value goes last so the position can be counted in it.
    if (problem) throw new Error(`${problem} — the ${name} was ${JSON.stringify(value)}`);
  };
}

function attrFormat(value: unknown): void {
  if (typeof value !== 'string') throw new Error('must be a string');
  if (value !== '' && value !== 'none' && !ATTR_RE.test(value)) {
    throw new Error(`${JSON.stringify(value)} is not an attribute name`);
  }
}

const password = secret(
  'Password of bindDn. Leave bindDn and this empty for an anonymous bind. Never logged.',
);

const attr = (doc: string) => key(`${doc} '' = the preset's default; 'none' = do not use.`, attrFormat, '');

export const ldapSchema = {
  preset: key(
    "Directory type: 'ad' (Active Directory / Samba: objectGUID, userAccountControl, in-chain groups) or 'openldap' (entryUUID, member walk). Sets the defaults of filter, disabledFilter, groupMethod and attributes.",
    ['ad', 'openldap'],
    'ad',
  ),
  urls: key(
    'Server URLs, ldap:// or ldaps://, tried in order: when one cannot be reached (or its TLS fails) the next is used. E.g. ["ldaps://dc1.corp.example:636", "ldaps://dc2.corp.example:636"].',
    stringList('urls', (v) =>
      URL_RE.test(v)
        ? undefined
        : `urls: ${JSON.stringify(v)} is not ldap://host[:port] or ldaps://host[:port]`,
    ),
    [] as string[],
  ),
  startTls: key(
    'Upgrade ldap:// connections with StartTLS before binding (ignored for ldaps://).',
    Boolean,
    false,
  ),
  caFile: key(
    'PEM file with the CA certificate(s) that signed the server certificate. Empty = the system CAs. When set, only these CAs are trusted.',
    String,
    '',
  ),
  rejectUnauthorized: key(
    'Verify the server certificate and host name. Turning this off is insecure and logs a warning on every run.',
    Boolean,
    true,
  ),
  connectTimeoutMs: durationMs('Time allowed to open a connection (TCP and TLS), per URL.', 10_000),
  operationTimeoutMs: durationMs(
    'Time allowed for one operation: bind, StartTLS, and each page of a search.',
    30_000,
  ),
  searchTimeoutMs: durationMs(
    'Time allowed for the whole read (all pages of all bases and group look-ups); also sent to the server as its time limit.',
    600_000,
  ),
  bindDn: key(
    'DN to bind as, e.g. "CN=svc-sync,OU=Service,DC=corp,DC=example" (AD also takes "svc-sync@corp.example"). Empty = anonymous bind.',
    String,
    '',
  ),
  bindPassword: password.value,
  bindPasswordFile: password.file,
  baseDns: key(
    'One or more search bases, e.g. ["OU=Staff,DC=corp,DC=example"]. Entries found under several bases count once.',
    stringList('baseDns', (v) => (v.trim() ? undefined : 'baseDns: an entry is empty')),
    [] as string[],
  ),
  scope: key("'sub' (the base and everything below) or 'one' (direct children only).", ['sub', 'one'], 'sub'),
  filter: key(
    "LDAP filter (RFC 4515) selecting the people. Empty = the preset's: ad '(&(objectCategory=person)(objectClass=user))', openldap '(objectClass=inetOrgPerson)'.",
    filterFormat('filter'),
    '',
  ),
  pageSize: count(
    'Entries per page (RFC 2696 paged results), so server size limits never cut the list short. 0 turns paging off (a size limit then fails the run).',
    1000,
    { max: MAX_TIMER_MS },
  ),
  groups: key(
    'Only members of these groups (DNs), nested groups included. Empty = everyone the filter matches.',
    stringList('groups', (v) => (v.trim() ? undefined : 'groups: an entry is empty')),
    [] as string[],
  ),
  groupMethod: key(
    "How group membership is resolved: 'in-chain' (AD's LDAP_MATCHING_RULE_IN_CHAIN on memberOf; Active Directory only), 'walk' (read member / uniqueMember / memberUid of each group, recursively, a memberUid holding a DN counts as that DN; works everywhere), 'memberof' (memberOf equality, for OpenLDAP's memberof overlay; nested groups found by their memberOf), 'auto' = in-chain for ad, walk for openldap. Trust 'memberof' only when the overlay was on before every group was written (it sets memberOf when a group changes, not for groups loaded with slapadd or written before it was enabled, and only for its one member attribute, member by default, never memberUid) and refint keeps renames and deletes in step; otherwise use 'walk'.",
    ['auto', 'in-chain', 'walk', 'memberof'],
    'auto',
  ),
  excludeDisabled: key(
    'Leave out disabled accounts (see disabledFilter). Their count is reported.',
    Boolean,
    true,
  ),
  disabledFilter: key(
    "Filter matching disabled accounts. Empty = the preset's: ad '(userAccountControl:1.2.840.113556.1.4.803:=2)'; openldap has none, e.g. set '(pwdAccountLockedTime=*)'.",
    filterFormat('disabledFilter'),
    '',
  ),
  excludeExpired: key('AD: also leave out accounts whose accountExpires lies in the past.', Boolean, false),
  attributes: {
    firstName: attr('Attribute for the first name (ad/openldap: givenName).'),
    lastName: attr('Attribute for the last name (sn).'),
    email: attr('Attribute for the e-mail address (mail).'),
    emailFallback: attr(
      'Attribute used when the e-mail attribute is empty (ad: userPrincipalName; openldap: none).',
    ),
    id: attr(
      'Attribute for the ID (ad: employeeID; openldap: employeeNumber). Ignored when map.id or idTemplate is set.',
    ),
    syncId: attr('Immutable attribute for the Sync ID (ad: objectGUID; openldap: entryUUID).'),
    displayName: attr(
      'Full-name attribute split into first and last name when those are empty (displayName).',
    ),
    commonName: attr('Second full-name fallback (cn).'),
  },
  map: mapSchema('attribute', {
    id: 'attributes.id (and idTemplate)',
    firstName: 'attributes.firstName',
    lastName: 'attributes.lastName',
    email: 'attributes.email',
  }),
  idTemplate: key(
    'The older form of map.id, still read: "{employeeNumber:8}" pads employeeNumber with zeros to 8 characters; text around placeholders is kept, e.g. "E-{employeeID}". Same as map.id \'"E-" + (employeeNumber | pad(8))\'; set one of the two.',
    (value: unknown) => {
      if (typeof value !== 'string') throw new Error('idTemplate must be a string');
      const problem = templateProblem(value);
      if (problem) throw new Error(`idTemplate ${problem}`);
    },
    '',
  ),
  syncIdFormat: key(
    "How the Sync ID attribute is read: 'guid' (16 binary bytes in AD's order → 8-4-4-4-12 text), 'text', or 'auto' (guid for objectGUID, text otherwise).",
    ['auto', 'guid', 'text'],
    'auto',
  ),
} satisfies SchemaTree;
