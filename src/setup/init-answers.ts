/**
 * `init`'s answers (from the questions or from flags) and the config they become. Pure: answers
 * in, a `SetupPlan` for `write-config.ts` out, plus the same config with the secrets written
 * inline, which `init` loads with the real loader and checks live before anything is written.
 */
import path from 'node:path';
import { Commented, type J5Object, note } from './json5.js';
import { type SetupPlan, type SetupSecret, secretPath } from './write-config.js';

export type LdapPreset = 'ad' | 'openldap';
export const SOURCE_KINDS = ['csv-folder', 'ldap', 'entra'] as const;
export type InitSourceKind = (typeof SOURCE_KINDS)[number];

/**
 * Where a secret comes from. A typed or env value is written by `init` to a 0600 file in the
 * output folder; an existing file is named by the config as it is (one copy of each secret).
 */
export type SecretAnswer =
  | { readonly from: 'file'; readonly file: string; readonly value: string }
  | { readonly from: 'value'; readonly value: string };

export interface CsvAnswers {
  readonly kind: 'csv-folder';
  /** Absolute. */
  readonly folder: string;
}

export interface LdapAnswers {
  readonly kind: 'ldap';
  readonly preset: LdapPreset;
  readonly urls: readonly string[];
  /** Empty for an anonymous bind (then no password). */
  readonly bindDn: string;
  readonly bindPassword?: SecretAnswer | undefined;
  readonly baseDns: readonly string[];
}

export interface EntraAnswers {
  readonly kind: 'entra';
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: SecretAnswer;
}

export type SourceAnswers = CsvAnswers | LdapAnswers | EntraAnswers;

export interface MimAnswers {
  readonly baseUrl: string;
  readonly project: string;
  readonly token: SecretAnswer;
}

export interface InitAnswers {
  readonly job: string;
  readonly source: SourceAnswers;
  readonly mim: MimAnswers;
  /** Absolute: where the config and the written secret files go. */
  readonly outDir: string;
  /** Absolute. */
  readonly stateDir: string;
}

export const CONFIG_NAME = 'mobileid-sync.json5';
export const DEFAULT_BASE_URL = 'https://mobile-id.baltech.de';

/** The source's name in the job, by kind: what `plan` and the logs call it. */
export const SOURCE_NAMES: Readonly<Record<InitSourceKind, string>> = {
  'csv-folder': 'drop',
  ldap: 'directory',
  entra: 'entra',
};

/** File names of the secrets init writes, inside the output folder. */
export const SECRET_NAMES = {
  mimToken: 'mim_token',
  bindPassword: 'ldap_bind_password',
  clientSecret: 'entra_client_secret',
} as const;

/** How a secret lands in the config: a `…File` key, or (for the live check) the value inline. */
type SecretMode = 'files' | 'inline';

interface Built {
  readonly config: J5Object;
  readonly secrets: readonly SetupSecret[];
}

class SecretCollector {
  readonly secrets: SetupSecret[] = [];
  constructor(
    private readonly outDir: string,
    private readonly mode: SecretMode,
  ) {}

  /** `{ tokenFile: … }` or `{ token: … }` for a secret key `key`. */
  entry(key: string, answer: SecretAnswer, name: string): J5Object {
    if (this.mode === 'inline') return { [key]: answer.value };
    if (answer.from === 'file') return { [`${key}File`]: answer.file };
    this.secrets.push({ name, value: answer.value });
    return { [`${key}File`]: note(secretPath(this.outDir, name), 'written by init, mode 0600') };
  }
}

function sourceEntry(source: SourceAnswers, secrets: SecretCollector): J5Object {
  const name = SOURCE_NAMES[source.kind];
  switch (source.kind) {
    case 'csv-folder':
      return {
        name,
        kind: source.kind,
        folder: note(source.folder, 'exports land here; write x.csv.tmp, then rename it to x.csv'),
      };
    case 'ldap':
      return {
        name,
        kind: source.kind,
        preset: source.preset,
        urls: [...source.urls],
        ...(source.bindDn
          ? {
              bindDn: source.bindDn,
              ...(source.bindPassword
                ? secrets.entry('bindPassword', source.bindPassword, SECRET_NAMES.bindPassword)
                : {}),
            }
          : {}),
        baseDns: [...source.baseDns],
      };
    case 'entra':
      return {
        name,
        kind: source.kind,
        tenantId: source.tenantId,
        clientId: source.clientId,
        ...secrets.entry('clientSecret', source.clientSecret, SECRET_NAMES.clientSecret),
      };
  }
}

function build(answers: InitAnswers, mode: SecretMode): Built {
  const secrets = new SecretCollector(answers.outDir, mode);
  const mim: J5Object = {
    baseUrl: answers.mim.baseUrl,
    project: answers.mim.project,
    ...secrets.entry('token', answers.mim.token, SECRET_NAMES.mimToken),
  };
  const source = sourceEntry(answers.source, secrets);
  const config: J5Object = {
    stateDir: note(answers.stateDir, 'last pushed snapshot, history, approvals (one folder per job)'),
    jobs: [
      {
        name: answers.job,
        mim,
        sources: [source],
      },
    ],
  };
  return { config, secrets: secrets.secrets };
}

/** What `writeSetup` writes: the config (secrets as `…File` keys) and the secret files. */
export function initPlan(answers: InitAnswers): SetupPlan {
  const { config, secrets } = build(answers, 'files');
  return {
    dir: answers.outDir,
    configName: CONFIG_NAME,
    config: {
      value: config,
      header: [
        'mobileid-sync configuration written by `mobileid-sync init`.',
        'Every key: `mobileid-sync config docs`; an example with comments: config/example.json5.',
      ].join('\n'),
    },
    secrets,
  };
}

/** The same config with every secret inline, as plain data: what the live check loads. */
export function inlineConfig(answers: InitAnswers): Record<string, unknown> {
  return plain(build(answers, 'inline').config) as Record<string, unknown>;
}

/** The config's path once written. */
export function configPath(answers: InitAnswers): string {
  return path.join(answers.outDir, CONFIG_NAME);
}

/** J5 data without its comments. */
export function plain(value: unknown): unknown {
  if (value instanceof Commented) return plain(value.value);
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}
