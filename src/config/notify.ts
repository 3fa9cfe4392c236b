/**
 * The `notify` keys: where notifications go (e-mail, Teams, Slack, a signed JSON webhook) and the
 * numbers of the de-dup policy. A channel is on when its target is set. The checks the schema
 * formats cannot express (a half-configured channel, a password in clear text) are in
 * `notifyProblem`, which the loader turns into a ConfigError naming the key.
 */
import { EVENT_KINDS, type NotifyEventKind } from '../notify/types.js';
import { isLoopbackHost, type Problem } from './checks.js';
import { type ConfigOf, count, durationMs, key, num, type SchemaTree, secret, stringList } from './define.js';
import { readPemFile } from './files.js';

/** What is sent unless `notify.events` says otherwise: the digest runs on its own cron, a test on demand. */
export const DEFAULT_NOTIFY_EVENTS: readonly NotifyEventKind[] = EVENT_KINDS.filter(
  (k) => k !== 'digest' && k !== 'test',
);

const ADDRESS_RE = /^[^\s@<>]+@[^\s@<>]+$/;

/** `anna@example.org` or `Sync <sync@example.org>`; returns the bare address, or undefined. */
export function mailAddressOf(text: string): string | undefined {
  const t = text.trim();
  const bracketed = /<([^<>]+)>\s*$/.exec(t)?.[1];
  const address = (bracketed ?? t).trim();
  return ADDRESS_RE.test(address) ? address : undefined;
}

const smtpPassword = secret('Password of `notify.email.user` on the SMTP server. Never logged.');
const teamsUrl = secret(
  'Microsoft Teams incoming webhook URL (a Workflows "Post to a channel when a webhook request is received" flow, or a legacy Office 365 connector). Anyone holding it can post to the channel: it is a secret and never logged. Empty turns Teams off.',
);
const slackUrl = secret(
  'Slack incoming webhook URL (https://hooks.slack.com/services/…) of a Slack app. Anyone holding it can post to the channel: it is a secret and never logged. Empty turns Slack off.',
);
const webhookSecret = secret(
  'HMAC-SHA256 key the webhook body is signed with (header X-MobileID-Sync-Signature), at least 16 characters. Required with `notify.webhook.url`. Never logged.',
);

export const notifySchema = {
  email: {
    host: key('SMTP server host name. Empty turns e-mail off.', String, ''),
    port: num('SMTP server port (587 submission with STARTTLS, 465 implicit TLS, 25 relay).', 587, {
      min: 1,
      max: 65_535,
      integer: true,
    }),
    security: key(
      '`starttls`: connect in plain text and require the STARTTLS upgrade before anything is sent (port 587). `tls`: TLS from the first byte (port 465). `none`: no encryption, only for a relay on this host (a password is refused then). The server certificate is always verified.',
      ['starttls', 'tls', 'none'],
      'starttls',
    ),
    user: key(
      'SMTP user name for AUTH. Empty = no authentication (a relay that trusts this host).',
      String,
      '',
    ),
    password: smtpPassword.value,
    passwordFile: smtpPassword.file,
    from: key('Sender address, e.g. "mobileid-sync <sync@example.org>".', String, ''),
    to: key(
      'Recipients, e.g. ["it-ops@example.org"].',
      stringList('notify.email.to', (v) =>
        mailAddressOf(v) ? undefined : `notify.email.to: ${JSON.stringify(v)} is not an e-mail address`,
      ),
      [] as string[],
    ),
    caFile: key(
      'PEM file with the CA certificate(s) of a private CA that signed the SMTP server certificate. Empty = the system CAs.',
      String,
      '',
    ),
    timeoutMs: durationMs(
      'Time allowed to connect, to receive the greeting and for each SMTP command, ms.',
      30_000,
    ),
  },
  teams: { url: teamsUrl.value, urlFile: teamsUrl.file },
  slack: { url: slackUrl.value, urlFile: slackUrl.file },
  webhook: {
    url: key(
      'URL that receives every notification as signed JSON (POST). Must be https:// unless the host is a loopback address. Empty turns the webhook off.',
      String,
      '',
    ),
    secret: webhookSecret.value,
    secretFile: webhookSecret.file,
    timeoutMs: durationMs(
      'Time allowed for a Teams, Slack or webhook receiver to answer one delivery, ms.',
      15_000,
    ),
  },
  events: key(
    `Which events are sent: ${EVENT_KINDS.join(', ')}. The digest is sent whenever \`notify.digestCron\` is set; \`notify test\` always sends.`,
    stringList('notify.events', (v) =>
      (EVENT_KINDS as readonly string[]).includes(v)
        ? undefined
        : `notify.events: ${JSON.stringify(v)} is not an event (use ${EVENT_KINDS.join(', ')})`,
    ),
    [...DEFAULT_NOTIFY_EVENTS] as string[],
  ),
  failingAfterRuns: count(
    'Failed runs in a row before `failing` is notified (1 = at the first failure).',
    3,
    {
      min: 1,
      max: 10_000,
    },
  ),
  failingAfterMinutes: count(
    'A job failing for this long is notified as failing even below `failingAfterRuns`, minutes. 0 = only the run count.',
    60,
    { max: 525_600, unit: 'minutes' },
  ),
  reminderHours: num(
    'A condition still true after this long (blocked plan, failing job) is notified again as a reminder, hours; fractions allowed (0.5 = 30 minutes).',
    24,
    { min: 0.001, max: 8_760, integer: false, unit: 'hours' },
  ),
  approvalWarningHours: count(
    'An approval that expires within this many hours, its plan not pushed yet, is notified once. 0 = never.',
    4,
    { max: 8_760, unit: 'hours' },
  ),
  digestCron: key(
    'Cron expression of the digest (every job\'s runs and changes since the last one), e.g. "0 8 * * 1-5". Empty = no digest.',
    String,
    '',
  ),
  consoleUrl: key(
    'Public base URL of the web console for links in messages, e.g. "https://sync.example.org:9464". Empty = no links.',
    String,
    '',
  ),
  retry: {
    max: count('Retries of a delivery that failed (network, timeout, 408, 429, 5xx).', 5, { max: 100 }),
    baseDelayMs: durationMs('First wait before a retry, ms; doubles each retry, with jitter.', 30_000, {
      min: 0,
    }),
  },
} satisfies SchemaTree;

/** The `notify` keys as loaded (secrets resolved from their files). */
export type NotifyConfig = ConfigOf<typeof notifySchema>;

/** A problem at a key under `notify.` (the key without the prefix). */
export interface NotifyProblem extends Problem {
  readonly key: string;
}

function urlProblem(text: string, keyName: string, what: string): NotifyProblem | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // Never quote the value: a Teams or Slack URL is a secret.
    return { key: keyName, message: `notify.${keyName} is not a URL`, fix: `Paste the whole ${what} URL.` };
  }
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return undefined;
  return {
    key: keyName,
    message: `notify.${keyName} must be an https:// URL (got ${url.protocol}//${url.hostname})`,
    fix: `Use the https:// ${what} URL; plain http:// is allowed only to this host (a local relay).`,
  };
}

function emailProblem(email: NotifyConfig['email']): NotifyProblem | undefined {
  const on = email.host !== '';
  if (!on) {
    if (email.to.length > 0 || email.from || email.user)
      return {
        key: 'email.host',
        message:
          'notify.email is half configured: recipients, sender or user are set but notify.email.host is empty',
        fix: 'Set notify.email.host to the SMTP server, or remove the other notify.email keys.',
      };
    return undefined;
  }
  if (email.to.length === 0)
    return {
      key: 'email.to',
      message: 'notify.email.host is set but notify.email.to lists no recipient',
      fix: 'Set notify.email.to, e.g. ["it-ops@example.org"].',
    };
  if (!email.from)
    return {
      key: 'email.from',
      message: 'notify.email.from is not set',
      fix: 'Set the sender, e.g. "mobileid-sync <sync@example.org>" (an address the server lets this user send as).',
    };
  if (!mailAddressOf(email.from))
    return {
      key: 'email.from',
      message: `notify.email.from ${JSON.stringify(email.from)} is not an e-mail address`,
      fix: 'Write "sync@example.org" or "Name <sync@example.org>".',
    };
  if (email.user && !email.password)
    return {
      key: 'email.password',
      message: 'notify.email.user is set but the password is empty',
      fix: 'Set notify.email.passwordFile (or the env var MOBILEID_SYNC_NOTIFY_EMAIL_PASSWORD_FILE), or clear notify.email.user for a relay without AUTH.',
    };
  if (!email.user && email.password)
    return {
      key: 'email.user',
      message: 'notify.email has a password but no user',
      fix: 'Set notify.email.user to the SMTP account the password belongs to.',
    };
  if (email.security === 'none' && email.user && !isLoopbackHost(email.host))
    return {
      key: 'email.security',
      message: `notify.email.security is "none" with a user: the SMTP password would cross the network to ${email.host} in clear text`,
      fix: 'Use security "starttls" (port 587) or "tls" (port 465); "none" with AUTH is allowed only to a relay on this host.',
    };
  return undefined;
}

/** The first problem of the `notify` keys, or undefined. Never quotes a secret. */
export function notifyProblem(notify: NotifyConfig): NotifyProblem | undefined {
  const email = emailProblem(notify.email);
  if (email) return email;
  if (notify.teams.url) {
    const p = urlProblem(notify.teams.url, 'teams.url', 'Teams webhook');
    if (p) return p;
  }
  if (notify.slack.url) {
    const p = urlProblem(notify.slack.url, 'slack.url', 'Slack webhook');
    if (p) return p;
  }
  if (notify.webhook.url) {
    const p = urlProblem(notify.webhook.url, 'webhook.url', 'webhook');
    if (p) return p;
    if (notify.webhook.secret.length < 16)
      return {
        key: 'webhook.secret',
        message: notify.webhook.secret
          ? 'notify.webhook.secret is shorter than 16 characters'
          : 'notify.webhook.url is set but notify.webhook.secret is empty: the receiver could not tell our messages from forged ones',
        fix: 'Set notify.webhook.secretFile to a file holding a random key (e.g. `openssl rand -hex 32`), and give the receiver the same key.',
      };
  } else if (notify.webhook.secret) {
    return {
      key: 'webhook.url',
      message: 'notify.webhook.secret is set but notify.webhook.url is empty',
      fix: 'Set notify.webhook.url, or remove the secret.',
    };
  }
  if (notify.consoleUrl && !/^https?:\/\/[^/\s]+/i.test(notify.consoleUrl))
    return {
      key: 'consoleUrl',
      message: `notify.consoleUrl ${JSON.stringify(notify.consoleUrl)} is not an http(s) URL`,
      fix: 'Write the base URL people open the console with, e.g. "https://sync.example.org:9464", or leave it empty.',
    };
  return undefined;
}

/** Whether any channel is configured. */
export function anyChannel(notify: NotifyConfig): boolean {
  return channelNames(notify).length > 0;
}

/** The names of the configured channels, in the order they are built (metrics' zero series). */
export function channelNames(notify: NotifyConfig): ('email' | 'teams' | 'slack' | 'webhook')[] {
  return [
    ...(notify.email.host ? (['email'] as const) : []),
    ...(notify.teams.url ? (['teams'] as const) : []),
    ...(notify.slack.url ? (['slack'] as const) : []),
    ...(notify.webhook.url ? (['webhook'] as const) : []),
  ];
}

/**
 * The text of `notify.email.caFile`, or undefined for the system CAs. A path that cannot be read
 * fails at `config validate` and at start, not at the first message.
 */
export function readEmailCa(email: NotifyConfig['email']): string | undefined {
  return email.caFile
    ? readPemFile(email.caFile, 'notify.email.caFile', {
        key: 'notify.email.caFile',
        holds: 'the CA certificate(s) that signed the SMTP server certificate',
      })
    : undefined;
}
