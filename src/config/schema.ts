/**
 * The configuration schema: global keys, then one schema per job. Source keys live with each
 * source (sources/<kind>/config.ts). Every leaf has a doc, a format, a default and an env name;
 * `docs/config-reference.md` is generated from these trees.
 */
import { httpUrl, key, type SchemaTree, secret } from './define.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface CsvDialect {
  readonly header: boolean;
  readonly delimiter: ',' | ';' | '\t';
  readonly encoding: 'utf-8' | 'utf-8-bom' | 'windows-1252' | 'utf-16le-bom';
  readonly lineEnding: 'crlf' | 'lf';
  readonly includeSyncId: boolean;
}

export interface MimConfig {
  readonly baseUrl: string;
  readonly project: string;
  readonly token: string;
  readonly tokenFile: string;
  readonly contentType: string;
  readonly connectTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly retries: { readonly max: number; readonly baseDelayMs: number; readonly maxDelayMs: number };
  readonly dialect: CsvDialect;
}

export interface GuardConfig {
  readonly maxDeletes: number;
  readonly maxDeletePercent: number;
  readonly minUsers: number;
  readonly maxShrinkPercent: number;
  readonly carryForwardDays: number;
}

export interface ScheduleConfig {
  readonly cron: string;
  readonly jitterSeconds: number;
  readonly onStart: boolean;
  readonly watch: boolean;
  readonly debounceMs: number;
}

export interface SourceEntry {
  readonly name: string;
  readonly kind: string;
  /** The source's own keys, validated by its definition's schema. */
  readonly settings: Readonly<Record<string, unknown>>;
}

export interface JobConfig {
  readonly name: string;
  readonly mim: MimConfig;
  readonly guard: GuardConfig;
  readonly schedule: ScheduleConfig;
  readonly sources: readonly SourceEntry[];
}

export interface AppConfig {
  readonly stateDir: string;
  readonly log: { readonly level: LogLevel; readonly maskEmails: boolean };
  readonly admin: { readonly listen: string; readonly token: string; readonly tokenFile: string };
  readonly daemon: { readonly shutdownGraceMs: number };
  readonly lock: { readonly staleMs: number };
  readonly jobs: readonly JobConfig[];
}

const adminToken = secret(
  'Bearer token required by the admin listener. Required when `admin.listen` is not a loopback address.',
);

export const globalSchema: SchemaTree = {
  stateDir: key(
    'Directory for state (last pushed snapshot, history, approvals). One sub-folder per job.',
    String,
    './state',
  ),
  log: {
    level: key('Log level.', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    maskEmails: key('Mask e-mail addresses in log lines (a***@example.com).', Boolean, false),
  },
  admin: {
    listen: key(
      'host:port of the daemon admin listener (/healthz, /readyz, /metrics, /status). Empty turns it off.',
      String,
      '127.0.0.1:9464',
    ),
    token: adminToken.value,
    tokenFile: adminToken.file,
  },
  daemon: {
    shutdownGraceMs: key(
      'On SIGTERM/SIGINT, how long a run in progress may take to finish before its upload is cancelled, ms.',
      'nat',
      30_000,
    ),
  },
  lock: {
    staleMs: key(
      "A run lock or the active daemon's lock that stayed unchanged this long (as watched, not by clock) is taken over, ms (5000–3600000). The holder refreshes it every sixth of this; an active/standby takeover takes about this long.",
      'nat',
      30_000,
    ),
  },
};

const mimToken = secret(
  'The project token from the Auto-sync task XML (Bearer). `\\/` is read as `/`. Never logged.',
);

export const jobSchema: SchemaTree = {
  mim: {
    baseUrl: key('Mobile ID Manager base URL.', httpUrl, 'https://mobile-id.baltech.de'),
    project: key('MIM project name (percent-encoded into the URL for you).', String, ''),
    token: mimToken.value,
    tokenFile: mimToken.file,
    contentType: key('Content-Type header of the upload.', String, 'text/csv; charset=utf-8'),
    connectTimeoutMs: key('TCP/TLS connect timeout for MIM, ms.', 'nat', 10_000),
    requestTimeoutMs: key('Time allowed for MIM to answer one upload, ms.', 'nat', 120_000),
    retries: {
      max: key('Retries after a retryable answer (408, 429, 5xx, network error).', 'nat', 5),
      baseDelayMs: key('First backoff delay, ms; doubles each retry, with jitter.', 'nat', 1_000),
      maxDelayMs: key('Longest wait between retries, ms (also caps Retry-After).', 'nat', 120_000),
    },
    dialect: {
      header: key('Send a header row. MIM expects none.', Boolean, false),
      delimiter: key('Field delimiter of the upload.', [',', ';', '\t'], ','),
      encoding: key(
        'Encoding of the upload.',
        ['utf-8', 'utf-8-bom', 'windows-1252', 'utf-16le-bom'],
        'utf-8',
      ),
      lineEnding: key('Line ends of the upload.', ['crlf', 'lf'], 'crlf'),
      includeSyncId: key(
        'Send the Sync ID column. Without it MIM matches by e-mail: an e-mail change deletes and re-invites.',
        Boolean,
        true,
      ),
    },
  },
  guard: {
    maxDeletes: key('A plan deleting more people than this needs `approve`.', 'nat', 25),
    maxDeletePercent: key(
      'A plan deleting more than this percentage of the last pushed set needs `approve`.',
      Number,
      10,
    ),
    minUsers: key('Never push when fewer valid people than this remain (hard stop).', 'nat', 1),
    maxShrinkPercent: key(
      'Hard stop when the source shrank by more than this percentage since the last push (100 turns it off).',
      Number,
      50,
    ),
    carryForwardDays: key(
      'Days a pushed person whose new record is invalid keeps their last good data before being treated as removed.',
      'nat',
      14,
    ),
  },
  schedule: {
    cron: key(
      'Cron expression for scheduled runs (daemon). Empty turns the schedule off.',
      String,
      '*/15 * * * *',
    ),
    jitterSeconds: key('Random delay added to each scheduled run, seconds.', 'nat', 60),
    onStart: key('Run once when the daemon starts.', Boolean, true),
    watch: key('Run when a file lands in a csv-folder source (daemon).', Boolean, true),
    debounceMs: key(
      'Quiet time after the last file event before a watched folder triggers a run, ms.',
      'nat',
      2_000,
    ),
  },
};
