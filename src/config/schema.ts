/**
 * The configuration schema: global keys, then one schema per job. Source keys live with each
 * source (sources/<kind>/config.ts). Every leaf has a doc, a format, a default and an env name;
 * `docs/config-reference.md` is generated from these trees.
 */
import {
  type ConfigOf,
  count,
  durationMs,
  httpUrl,
  key,
  percent,
  type SchemaTree,
  secret,
} from './define.js';
import { notifySchema } from './notify.js';

export interface SourceEntry {
  readonly name: string;
  readonly kind: string;
  /** The source's own keys, validated by its definition's schema. */
  readonly settings: Readonly<Record<string, unknown>>;
}

/** A job as loaded: its keys (from `jobSchema` below) and its sources. */
export interface JobConfig extends ConfigOf<typeof jobSchema> {
  readonly name: string;
  readonly sources: readonly SourceEntry[];
}

/** A whole config as loaded: the global keys (from `globalSchema` below) and the jobs. */
export interface AppConfig extends ConfigOf<typeof globalSchema> {
  readonly jobs: readonly JobConfig[];
}

export type LogLevel = AppConfig['log']['level'];
/** What the MIM client takes; `allowInsecureHttp` is optional for hand-built configs (tests), the loader always sets it. */
export type MimConfig = Omit<JobConfig['mim'], 'allowInsecureHttp'> & {
  readonly allowInsecureHttp?: boolean;
};
export type CsvDialect = JobConfig['mim']['dialect'];
export type GuardConfig = JobConfig['guard'];
export type ScheduleConfig = JobConfig['schedule'];

const adminToken = secret(
  'Bearer token required by the admin listener. Required when `admin.listen` is not a loopback address.',
);

export const globalSchema = {
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
    shutdownGraceMs: durationMs(
      'On SIGTERM/SIGINT, how long a run in progress may take to finish before its upload is cancelled, ms.',
      30_000,
      { min: 0 },
    ),
  },
  lock: {
    staleMs: durationMs(
      "A run lock or the active daemon's lock that stayed unchanged this long (as watched, not by clock) is taken over, ms. The holder refreshes it every sixth of this; an active/standby takeover takes about this long.",
      30_000,
      { min: 5_000, max: 3_600_000 },
    ),
  },
  notify: notifySchema,
} satisfies SchemaTree;

const mimToken = secret(
  'The project token from the Auto-sync task XML (Bearer). `\\/` is read as `/`. Never logged.',
);

export const jobSchema = {
  mim: {
    baseUrl: key(
      'Mobile ID Manager base URL. Must be https:// (the token travels with every upload) unless the host is a loopback address or `allowInsecureHttp` is set; no `user:password@` (MIM takes the token).',
      httpUrl,
      'https://mobile-id.baltech.de',
    ),
    allowInsecureHttp: key(
      'Allow a plain http:// baseUrl to a host that is not a loopback address. The project token then crosses the network in clear text: only for a trusted TLS-terminating proxy on the same network segment.',
      Boolean,
      false,
    ),
    project: key('MIM project name (percent-encoded into the URL for you).', String, ''),
    token: mimToken.value,
    tokenFile: mimToken.file,
    contentType: key('Content-Type header of the upload.', String, 'text/csv; charset=utf-8'),
    connectTimeoutMs: durationMs('TCP/TLS connect timeout for MIM, ms.', 10_000),
    requestTimeoutMs: durationMs('Time allowed for MIM to answer one upload, ms.', 120_000),
    retries: {
      max: count('Retries after a retryable answer (408, 429, 5xx, network error).', 5, { max: 100 }),
      baseDelayMs: durationMs('First backoff delay, ms; doubles each retry, with jitter.', 1_000, { min: 0 }),
      maxDelayMs: durationMs('Longest wait between retries, ms (also caps Retry-After).', 120_000, {
        min: 0,
      }),
    },
    successResponse: key(
      "Which 2xx answer counts as MIM confirming the upload (MIM's success body is undocumented). `not-html`: any 2xx whose Content-Type is not HTML and whose body neither starts with `<` nor contains `<html`. `json`: only a 2xx with a JSON Content-Type and a body that parses as JSON. `any-2xx`: every 2xx (unsafe: a login page or captive portal answering 200 is taken as applied and the upload is never re-sent). Any other 2xx leaves the outcome unknown and the next run re-sends.",
      ['not-html', 'json', 'any-2xx'],
      'not-html',
    ),
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
    maxDeletes: count('A plan deleting more people than this needs `approve`.', 25),
    maxDeletePercent: percent(
      'A plan deleting more than this percentage of the last pushed set needs `approve`.',
      10,
    ),
    minUsers: count('Never push when fewer valid people than this remain (hard stop).', 1),
    maxShrinkPercent: percent(
      'Hard stop when the source shrank by more than this percentage since the last push (100 turns it off).',
      50,
    ),
    carryForwardDays: count(
      'Days a pushed person whose new record is invalid keeps their last good data (carry-forward) before being treated as removed: carried while less than this many days have passed since the record became invalid, by the clock of this run or by the start of the previous run (one run with a clock jumped ahead lets nobody go). 0 = never carried (removed at once, under the deletion limits).',
      14,
      { max: 3650, unit: 'days' },
    ),
    maxIdChangePercent: percent(
      'A plan changing the ID of more than this percentage of the pushed people (two or more) needs `approve`: each change re-keys a phone credential.',
      10,
    ),
    maxNameSwapPercent: percent(
      'A plan swapping first and last name of more than this percentage of the pushed people (two or more) needs `approve`.',
      10,
    ),
    approvalTtlHours: count(
      'An approval expires this many hours after it was given (and is voided earlier by any run whose plan differs).',
      24,
      { min: 1, max: 8760, unit: 'hours' },
    ),
  },
  schedule: {
    cron: key(
      'Cron expression for scheduled runs (daemon). Empty turns the schedule off.',
      String,
      '*/15 * * * *',
    ),
    jitterSeconds: count('Random delay added to each scheduled run, seconds.', 60, {
      max: 86_400,
      unit: 's',
    }),
    onStart: key('Run once when the daemon starts.', Boolean, true),
    watch: key('Run when a file lands in a csv-folder source (daemon).', Boolean, true),
    debounceMs: durationMs(
      'Quiet time after the last file event before a watched folder triggers a run, ms.',
      2_000,
      { min: 0 },
    ),
  },
} satisfies SchemaTree;
