/**
 * The `ldap` source's keys resolved into the settings the source uses: preset defaults filled in,
 * the user filter parsed into ldapts objects, files read. Every check here throws ConfigError
 * naming the key. Apart from config.ts because it needs ldapts, which only a run loads.
 */
import type { Filter } from 'ldapts';
import { readPemFile } from '../../config/files.js';
import { ConfigError } from '../../core/errors.js';
import { compileFields } from '../field-map.js';
import { type GroupMethod, type LdapConfig, PRESETS, URL_RE } from './config.js';
import { describeFilterProblem, parseFilter } from './filter-parse.js';
import { toLdapFilter } from './filters.js';
import { type AttributeMapping, templateProblem } from './map.js';

/**
 * Everything the source needs: the keys it uses as they are, and what resolution changes — the
 * CA file read, the preset's filters parsed, the attribute names turned into a mapping.
 */
export interface LdapSettings
  extends Pick<
    LdapConfig,
    | 'name'
    | 'preset'
    | 'urls'
    | 'startTls'
    | 'rejectUnauthorized'
    | 'connectTimeoutMs'
    | 'operationTimeoutMs'
    | 'searchTimeoutMs'
    | 'bindDn'
    | 'bindPassword'
    | 'baseDns'
    | 'scope'
    | 'pageSize'
    | 'groups'
    | 'excludeExpired'
  > {
  /** The text of caFile; undefined = the system CAs. */
  readonly ca: string | undefined;
  readonly filter: Filter;
  readonly filterText: string;
  readonly groupMethod: Exclude<GroupMethod, 'auto'>;
  /** Matches accounts to leave out; undefined = exclude nothing. */
  readonly disabledFilter: Filter | undefined;
  readonly disabledFilterText: string;
  readonly mapping: AttributeMapping;
}

function place(cfg: { name: string }, keyName: string): string {
  return `sources[${cfg.name}].${keyName}`;
}

const FILTER_FIX =
  'Write one RFC 4515 filter with balanced parentheses, such as "(&(objectClass=user)(department=Sales))"; escape * ( ) \\ in values as \\2a \\28 \\29 \\5c.';

/** Our parser decides; ldapts only ever gets the objects built from its tree. */
function parseOrThrow(cfg: { name: string }, keyName: string, text: string): Filter {
  const r = parseFilter(text);
  if (!r.ok) {
    throw new ConfigError(`${keyName} is not a valid LDAP filter: ${describeFilterProblem(text, r.error)}`, {
      place: place(cfg, keyName),
      fix: FILTER_FIX,
    });
  }
  return toLdapFilter(r.node);
}

function pick(value: string, preset: string): string | undefined {
  const v = value.trim() || preset;
  return v === 'none' || v === '' ? undefined : v;
}

/** Applies the preset, checks what convict cannot, reads the CA file. Throws ConfigError naming the key. */
export function resolveSettings(cfg: LdapConfig): LdapSettings {
  const preset = PRESETS[cfg.preset];
  if (cfg.urls.length === 0) {
    throw new ConfigError('No LDAP server URL is set', {
      place: place(cfg, 'urls'),
      fix: 'Set urls, e.g. ["ldaps://dc1.corp.example:636"].',
    });
  }
  for (const u of cfg.urls) {
    if (!URL_RE.test(u)) {
      throw new ConfigError(`${JSON.stringify(u)} is not an ldap:// or ldaps:// URL`, {
        place: place(cfg, 'urls'),
        fix: 'Write ldap://host[:port] or ldaps://host[:port], without a path.',
      });
    }
  }
  if (cfg.baseDns.length === 0 || cfg.baseDns.some((b) => !b.trim())) {
    throw new ConfigError('No search base is set', {
      place: place(cfg, 'baseDns'),
      fix: 'Set baseDns, e.g. ["OU=Staff,DC=corp,DC=example"].',
    });
  }
  if (cfg.bindDn && !cfg.bindPassword) {
    throw new ConfigError(`bindDn is set but bindPassword is empty`, {
      place: place(cfg, 'bindPassword'),
      fix: 'Set bindPassword or bindPasswordFile (or the env var …_BIND_PASSWORD_FILE); leave bindDn empty for an anonymous bind.',
    });
  }
  const ca = cfg.caFile
    ? readPemFile(cfg.caFile, place(cfg, 'caFile'), {
        key: 'caFile',
        holds: 'the CA certificate(s) of the directory servers',
      })
    : undefined;
  const filterText = cfg.filter.trim() || preset.filter;
  const filter = parseOrThrow(cfg, 'filter', filterText);
  const disabledFilterText = cfg.excludeDisabled ? cfg.disabledFilter.trim() || preset.disabledFilter : '';
  const disabledFilter = disabledFilterText
    ? parseOrThrow(cfg, 'disabledFilter', disabledFilterText)
    : undefined;
  const problem = templateProblem(cfg.idTemplate);
  if (problem) {
    throw new ConfigError(`idTemplate ${problem}`, {
      place: place(cfg, 'idTemplate'),
      fix: 'Write e.g. "{employeeNumber:8}" or "E-{employeeID}".',
    });
  }
  const expressions = compileFields(cfg.map, (k) => place(cfg, k));
  if (expressions.id && cfg.idTemplate) {
    throw new ConfigError('Both map.id and idTemplate are set', {
      place: place(cfg, 'idTemplate'),
      fix: `Remove idTemplate: map.id replaces it (idTemplate "{employeeNumber:8}" is map.id 'employeeNumber | pad(8)').`,
    });
  }
  const a = cfg.attributes;
  const p = preset.attributes;
  const syncId = pick(a.syncId, p.syncId);
  if (!syncId) {
    throw new ConfigError('attributes.syncId cannot be none: every person needs an immutable Sync ID', {
      place: place(cfg, 'attributes.syncId'),
      fix: 'Use objectGUID (AD) or entryUUID (OpenLDAP), or another attribute that never changes.',
    });
  }
  const syncIdFormat =
    cfg.syncIdFormat === 'auto'
      ? syncId.toLowerCase() === 'objectguid'
        ? 'guid'
        : 'text'
      : cfg.syncIdFormat;
  const mapping: AttributeMapping = {
    firstName: pick(a.firstName, p.firstName),
    lastName: pick(a.lastName, p.lastName),
    email: pick(a.email, p.email),
    emailFallback: pick(a.emailFallback, p.emailFallback),
    id: cfg.idTemplate || expressions.id ? undefined : pick(a.id, p.id),
    idTemplate: cfg.idTemplate || undefined,
    expressions,
    syncId,
    syncIdFormat,
    displayName: pick(a.displayName, p.displayName),
    commonName: pick(a.commonName, p.commonName),
  };
  return {
    name: cfg.name,
    preset: cfg.preset,
    urls: cfg.urls,
    startTls: cfg.startTls,
    ca,
    rejectUnauthorized: cfg.rejectUnauthorized,
    connectTimeoutMs: cfg.connectTimeoutMs,
    operationTimeoutMs: cfg.operationTimeoutMs,
    searchTimeoutMs: cfg.searchTimeoutMs,
    bindDn: cfg.bindDn,
    bindPassword: cfg.bindPassword,
    baseDns: cfg.baseDns.map((b) => b.trim()),
    scope: cfg.scope,
    filter,
    filterText,
    pageSize: cfg.pageSize,
    groups: cfg.groups.map((g) => g.trim()),
    groupMethod: cfg.groupMethod === 'auto' ? preset.groupMethod : cfg.groupMethod,
    disabledFilter,
    disabledFilterText,
    excludeExpired: cfg.excludeExpired,
    mapping,
  };
}
