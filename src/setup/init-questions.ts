/**
 * `init`'s questions (@inquirer/prompts). Each section can be asked again with the earlier
 * answers as defaults, so an admin whose live check failed goes back to just that part. A flag
 * given on the command line is the default of its question; a secret given by flag is not asked.
 */
import path from 'node:path';
import { input, password, select } from '@inquirer/prompts';
import { URL_RE } from '../sources/ldap/config.js';
import {
  DEFAULT_BASE_URL,
  type InitAnswers,
  type InitSourceKind,
  type LdapPreset,
  type MimAnswers,
  type SecretAnswer,
  SOURCE_KINDS,
  type SourceAnswers,
} from './init-answers.js';
import {
  defaultOutDir,
  defaultStateDir,
  flagList,
  flagText,
  type InitFlags,
  isPreset,
  isSourceKind,
  secretFromFlags,
} from './init-flags.js';

export interface AskContext {
  readonly flags: InitFlags;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

const KIND_CHOICES: readonly { value: InitSourceKind; name: string; description: string }[] = [
  {
    value: 'csv-folder',
    name: 'CSV drop folder',
    description: 'An HR or access-control export written into a folder (also the Auto-sync CSV).',
  },
  { value: 'ldap', name: 'LDAP / Active Directory', description: 'AD, Samba AD or OpenLDAP over LDAP(S).' },
  {
    value: 'entra',
    name: 'Microsoft Entra ID',
    description: 'Through Microsoft Graph with an app registration.',
  },
];

const required =
  (what: string) =>
  (v: string): true | string =>
    v.trim() ? true : `Enter ${what}.`;

/** Several answers in one line: URLs by comma, DNs (which hold commas) by semicolon. */
function list(text: string, separator: RegExp): string[] {
  return text
    .split(separator)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** A hidden secret; empty keeps the one given before (going back) or by flag. */
async function askSecret(message: string, keep: SecretAnswer | undefined): Promise<SecretAnswer> {
  const value = await password({
    message: keep ? `${message} (empty keeps the one given)` : message,
    mask: '*',
    validate: (v) => (v.trim() || keep ? true : 'Enter it (typing is hidden).'),
  });
  return value.trim() ? { from: 'value', value: value.trim() } : (keep as SecretAnswer);
}

async function askLdap(prev: Extract<SourceAnswers, { kind: 'ldap' }> | undefined, ctx: AskContext) {
  const flagPreset = flagText(ctx.flags, 'preset');
  const preset = await select<LdapPreset>({
    message: 'Directory type',
    choices: [
      { value: 'ad', name: 'Active Directory / Samba AD' },
      { value: 'openldap', name: 'OpenLDAP' },
    ],
    default: prev?.preset ?? (flagPreset && isPreset(flagPreset) ? flagPreset : 'ad'),
  });
  const urls = list(
    await input({
      message: 'Server URL(s), comma-separated (tried in order)',
      default: (prev?.urls ?? flagList(ctx.flags, 'ldap-url', /,/)).join(', ') || undefined,
      validate: (v) => {
        const all = list(v, /,/);
        if (all.length === 0) return 'Enter e.g. ldaps://dc1.corp.example:636';
        const bad = all.find((u) => !URL_RE.test(u));
        return bad ? `${bad} is not ldap://host[:port] or ldaps://host[:port]` : true;
      },
    }),
    /,/,
  );
  const bindDn = (
    await input({
      message: 'Bind DN (empty for an anonymous bind)',
      default: prev?.bindDn ?? flagText(ctx.flags, 'bind-dn'),
    })
  ).trim();
  const given = prev?.bindPassword ?? secretFromFlags(ctx.flags, 'bind-password', ctx.env, ctx.cwd);
  const bindPassword = bindDn ? await askSecret(`Password of ${bindDn}`, given) : undefined;
  const baseDns = list(
    await input({
      message: 'Search base DN(s), several separated by ;',
      default: (prev?.baseDns ?? flagList(ctx.flags, 'base-dn')).join('; ') || undefined,
      validate: required('where the people are, e.g. OU=Staff,DC=corp,DC=example'),
    }),
    /;/,
  );
  return { kind: 'ldap' as const, preset, urls, bindDn, bindPassword, baseDns };
}

export async function askSource(prev: SourceAnswers | undefined, ctx: AskContext): Promise<SourceAnswers> {
  const flagKind = flagText(ctx.flags, 'source');
  const kind = await select<InitSourceKind>({
    message: 'Where do the people come from?',
    choices: KIND_CHOICES,
    default: prev?.kind ?? (flagKind && isSourceKind(flagKind) ? flagKind : SOURCE_KINDS[0]),
  });
  switch (kind) {
    case 'csv-folder': {
      const folder = await input({
        message: 'Drop folder (where the exports land)',
        default: (prev?.kind === kind ? prev.folder : undefined) ?? flagText(ctx.flags, 'drop-folder'),
        validate: required('the folder'),
      });
      return { kind, folder: path.resolve(ctx.cwd, folder.trim()) };
    }
    case 'ldap':
      return askLdap(prev?.kind === kind ? prev : undefined, ctx);
    case 'entra': {
      const old = prev?.kind === kind ? prev : undefined;
      const tenantId = await input({
        message: 'Directory (tenant) ID',
        default: old?.tenantId ?? flagText(ctx.flags, 'tenant-id'),
        validate: required('the tenant ID or a verified domain'),
      });
      const clientId = await input({
        message: 'Application (client) ID',
        default: old?.clientId ?? flagText(ctx.flags, 'client-id'),
        validate: required("the app registration's client ID"),
      });
      const given = old?.clientSecret ?? secretFromFlags(ctx.flags, 'client-secret', ctx.env, ctx.cwd);
      const clientSecret = await askSecret('Client secret (its Value)', given);
      return { kind, tenantId: tenantId.trim(), clientId: clientId.trim(), clientSecret };
    }
  }
}

export async function askMim(prev: MimAnswers | undefined, ctx: AskContext): Promise<MimAnswers> {
  const baseUrl = await input({
    message: 'Mobile ID Manager URL',
    default: prev?.baseUrl ?? flagText(ctx.flags, 'mim-url') ?? DEFAULT_BASE_URL,
    validate: (v) => (/^https?:\/\/\S+$/i.test(v.trim()) ? true : 'Enter an https:// URL.'),
  });
  const project = await input({
    message: 'MIM project name',
    default: prev?.project ?? flagText(ctx.flags, 'project'),
    validate: required('the project name as MIM shows it'),
  });
  const given = prev?.token ?? secretFromFlags(ctx.flags, 'token', ctx.env, ctx.cwd);
  const token = await askSecret('Project token (from the Auto-sync task XML)', given);
  return { baseUrl: baseUrl.trim(), project: project.trim(), token };
}

export async function askWhere(
  prev: Pick<InitAnswers, 'outDir' | 'stateDir'> | undefined,
  ctx: AskContext,
): Promise<Pick<InitAnswers, 'outDir' | 'stateDir'>> {
  const out = await input({
    message: 'Folder for the config and its secret files',
    default: prev?.outDir ?? flagText(ctx.flags, 'out') ?? defaultOutDir(ctx.cwd),
    validate: required('a folder'),
  });
  const outDir = path.resolve(ctx.cwd, out.trim());
  const state = await input({
    message: 'State folder (last pushed snapshot, history)',
    default: prev?.stateDir ?? flagText(ctx.flags, 'state-dir') ?? defaultStateDir(outDir),
    validate: required('a folder'),
  });
  return { outDir, stateDir: path.resolve(ctx.cwd, state.trim()) };
}

/** After a failed live check. */
export type AfterFailure = 'source' | 'mim' | 'save' | 'quit';

export function askAfterFailure(canSave: boolean): Promise<AfterFailure> {
  return select<AfterFailure>({
    message: canSave ? 'The check failed. What now?' : 'These answers make no valid config. What now?',
    choices: [
      { value: 'source', name: 'Change the source answers' },
      { value: 'mim', name: 'Change the MIM answers' },
      ...(canSave ? [{ value: 'save' as const, name: 'Save anyway (fix it later, then run `check`)' }] : []),
      { value: 'quit', name: 'Quit without writing anything' },
    ],
  });
}
