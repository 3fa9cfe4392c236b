/**
 * `init --non-interactive`: the same answers as the questions, from flags (scripts, Ansible).
 * Secrets are never flag values — a command line is visible to every user in `ps` and lands in
 * shell history — so each secret flag names a file or an environment variable instead.
 */
import path from 'node:path';
import { readSecretFile } from '../config/files.js';
import { ConfigError } from '../core/errors.js';
import {
  DEFAULT_BASE_URL,
  type InitAnswers,
  type InitSourceKind,
  type LdapPreset,
  type SecretAnswer,
  SOURCE_KINDS,
  type SourceAnswers,
} from './init-answers.js';

/** A missing or misused flag: the CLI turns it into a usage error (exit 64). */
export class FlagError extends Error {}

/** The flags as parsed (string values; repeatable ones as lists). */
export type InitFlags = Readonly<
  Record<string, string | boolean | readonly (string | boolean)[] | undefined>
>;

/** Secret flags that would take the secret itself, and what to use instead. */
export const PLAIN_SECRET_FLAGS: Readonly<Record<string, string>> = {
  token: '--token-file <file> or --token-env <VAR>',
  'bind-password': '--bind-password-file <file> or --bind-password-env <VAR>',
  'client-secret': '--client-secret-file <file> or --client-secret-env <VAR>',
};

export function refusePlainSecrets(flags: InitFlags): void {
  for (const [flag, instead] of Object.entries(PLAIN_SECRET_FLAGS)) {
    if (flags[flag] !== undefined) {
      throw new FlagError(
        `--${flag} does not take the secret itself: a command line is visible to other users (ps) and kept in shell history. Use ${instead}.`,
      );
    }
  }
}

export function flagText(flags: InitFlags, name: string): string | undefined {
  const v = flags[name];
  if (typeof v === 'string') return v.trim() || undefined;
  if (Array.isArray(v)) return flagList(flags, name)[0];
  return undefined;
}

/** A repeatable flag; with `split`, each value may also be a list (not for DNs: they hold commas). */
export function flagList(flags: InitFlags, name: string, split?: RegExp): string[] {
  const v = flags[name];
  const raw = Array.isArray(v) ? v : v === undefined || typeof v === 'boolean' ? [] : [v];
  return raw
    .flatMap((s) => (split ? String(s).split(split) : [String(s)]))
    .map((s) => s.trim())
    .filter(Boolean);
}

function need(flags: InitFlags, name: string, why: string): string {
  const v = flagText(flags, name);
  if (v === undefined) throw new FlagError(`init --non-interactive needs --${name} (${why})`);
  return v;
}

function needList(flags: InitFlags, name: string, why: string, split?: RegExp): string[] {
  const v = flagList(flags, name, split);
  if (v.length === 0) throw new FlagError(`init --non-interactive needs --${name} (${why})`);
  return v;
}

/** A secret named by `--<base>-file` or `--<base>-env`, read now (the live check needs it). */
export function secretFromFlags(
  flags: InitFlags,
  base: string,
  env: NodeJS.ProcessEnv,
  cwd: string,
): SecretAnswer | undefined {
  const file = flagText(flags, `${base}-file`);
  const envVar = flagText(flags, `${base}-env`);
  if (file && envVar) throw new FlagError(`give --${base}-file or --${base}-env, not both`);
  if (file) {
    const abs = path.resolve(cwd, file);
    const value = readSecretFile(abs, {}, `--${base}-file ${abs}`);
    if (!value.trim()) {
      throw new ConfigError(`The file given with --${base}-file is empty`, {
        place: abs,
        fix: `Put the secret into ${abs} (one line), or use --${base}-env <VAR>.`,
      });
    }
    return { from: 'file', file: abs, value };
  }
  if (envVar) {
    const value = env[envVar] ?? '';
    if (!value.trim()) {
      throw new ConfigError(`The environment variable ${envVar} (from --${base}-env) is not set or empty`, {
        place: `--${base}-env ${envVar}`,
        fix: `Export ${envVar} with the secret before running init, or use --${base}-file <file>.`,
      });
    }
    return { from: 'value', value };
  }
  return undefined;
}

function needSecret(flags: InitFlags, base: string, env: NodeJS.ProcessEnv, cwd: string, why: string) {
  const s = secretFromFlags(flags, base, env, cwd);
  if (!s) throw new FlagError(`init --non-interactive needs --${base}-file or --${base}-env (${why})`);
  return s;
}

export function isSourceKind(v: string): v is InitSourceKind {
  return (SOURCE_KINDS as readonly string[]).includes(v);
}

export function isPreset(v: string): v is LdapPreset {
  return v === 'ad' || v === 'openldap';
}

function sourceFromFlags(flags: InitFlags, env: NodeJS.ProcessEnv, cwd: string): SourceAnswers {
  const kind = need(flags, 'source', SOURCE_KINDS.join(' | '));
  if (!isSourceKind(kind))
    throw new FlagError(`--source must be one of ${SOURCE_KINDS.join(', ')}, not "${kind}"`);
  switch (kind) {
    case 'csv-folder':
      return {
        kind,
        folder: path.resolve(cwd, need(flags, 'drop-folder', 'the folder the CSV exports land in')),
      };
    case 'ldap': {
      const preset = need(flags, 'preset', 'ad for Active Directory / Samba, openldap for OpenLDAP');
      if (!isPreset(preset)) throw new FlagError(`--preset must be ad or openldap, not "${preset}"`);
      const bindDn = flagText(flags, 'bind-dn') ?? '';
      const bindPassword = bindDn
        ? needSecret(flags, 'bind-password', env, cwd, `the password of ${bindDn}`)
        : undefined;
      return {
        kind,
        preset,
        urls: needList(flags, 'ldap-url', 'ldaps://dc1.corp.example:636; repeat for fail-over', /,/),
        bindDn,
        bindPassword,
        baseDns: needList(
          flags,
          'base-dn',
          'where the people are, e.g. OU=Staff,DC=corp,DC=example; repeatable',
        ),
      };
    }
    case 'entra':
      return {
        kind,
        tenantId: need(flags, 'tenant-id', 'the directory (tenant) ID'),
        clientId: need(flags, 'client-id', "the app registration's application (client) ID"),
        clientSecret: needSecret(flags, 'client-secret', env, cwd, "the app registration's secret"),
      };
  }
}

/** Defaults shared with the questions: `./config` is where the CLI looks without -c. */
export function defaultOutDir(cwd: string): string {
  return path.resolve(cwd, 'config');
}

export function defaultStateDir(outDir: string): string {
  return path.join(outDir, 'state');
}

/** Every answer from flags; a missing required flag is a FlagError naming it. */
export function answersFromFlags(flags: InitFlags, env: NodeJS.ProcessEnv, cwd: string): InitAnswers {
  refusePlainSecrets(flags);
  const source = sourceFromFlags(flags, env, cwd);
  const project = need(flags, 'project', 'the MIM project name');
  const token = needSecret(flags, 'token', env, cwd, "the project's Auto-sync token");
  const outDir = path.resolve(cwd, flagText(flags, 'out') ?? defaultOutDir(cwd));
  const state = flagText(flags, 'state-dir');
  return {
    job: flagText(flags, 'job') ?? 'main',
    source,
    mim: { baseUrl: flagText(flags, 'mim-url') ?? DEFAULT_BASE_URL, project, token },
    outDir,
    stateDir: state ? path.resolve(cwd, state) : defaultStateDir(outDir),
  };
}
