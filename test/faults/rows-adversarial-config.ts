/**
 * Adversarial rows for the config numbers, secrets and e-mail masking (issue #10 items 3, 10, 16):
 * not a broken server or disk, but a hostile or clumsy config, token or MIM answer.
 * - A config number that is not a finite number in its range (an empty env var from an unset
 *   compose variable, "abc", Infinity, JSON5 NaN, 'ten') must stop the run with exit 78 naming the
 *   key, not switch its limit off: every `x > NaN` is false, and 30 of 40 people were deleted.
 * - MIM echoing the token in an error body must not put it in the output, the log, the history or
 *   `status`; a malformed token or a URL with credentials is a config error (78), not an outage.
 * - With `log.maskEmails`, invalid addresses never reach a log line unmasked.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type CliResult, runCli } from '../helpers/cli.js';
import { csvBaseline, dropChange, type Row, setMim, timed } from './row.js';
import { csvOf, makePeople, type Person, TOKEN, type World } from './world.js';

const ENV_DELETE_PERCENT = 'MOBILEID_SYNC_MAIN_GUARD_MAX_DELETE_PERCENT';
const ENV_SHRINK_PERCENT = 'MOBILEID_SYNC_MAIN_GUARD_MAX_SHRINK_PERCENT';
/** 10 of the 40: 30 deletes (75 %), a 75 % shrink. */
const KEPT = 10;

function cliWithEnv(w: World, env: NodeJS.ProcessEnv, ...args: string[]): Promise<CliResult> {
  return runCli([...args, '--config', w.configFile], { env, timeoutMs: 60_000 });
}

/**
 * Baseline, then a file keeping 10 of 40, with the guard's count limit out of the way so that only
 * the percentage limit under test stands between that file and 30 deletes. `spoil` makes that
 * limit's value hostile (in the file or the env).
 */
function hostileLimitRow(
  name: string,
  limit: 'maxDeletePercent' | 'maxShrinkPercent',
  spoil: { env?: string; fileValue?: string },
): Row {
  const other = limit === 'maxDeletePercent' ? 'maxShrinkPercent' : 'maxDeletePercent';
  const env =
    spoil.env === undefined
      ? {}
      : { [limit === 'maxDeletePercent' ? ENV_DELETE_PERCENT : ENV_SHRINK_PERCENT]: spoil.env };
  return {
    name,
    setup: async (w) => {
      const people = await csvBaseline(w);
      w.job.guard = { maxDeletes: 1000, [other]: 100 };
      await w.saveConfig();
      if (spoil.fileValue !== undefined) {
        // JSON5 text: NaN, Infinity and unquoted numbers are legal there, not in JSON.
        w.job.guard = { ...(w.job.guard as object), [limit]: '__HOSTILE__' };
        const text = JSON.stringify(w.config, null, 2).replace('"__HOSTILE__"', spoil.fileValue);
        await writeFile(w.configFile, text);
      }
      await w.dropFile(csvOf(people.slice(0, KEPT)));
    },
    act: (w) => timed(() => cliWithEnv(w, env, 'sync')),
    expect: {
      exit: 78,
      text: [new RegExp(`guard\\.${limit}`), /from 0 to 100/],
      mim: 'unchanged',
    },
    heal: async (w) => {
      // The value is fixed (default 10 % / 50 %), and the export is whole again.
      w.job.guard = { maxDeletes: 1000, [other]: 100 };
      await w.saveConfig();
      await w.dropFile(csvOf(w.desired));
    },
  };
}

/** Every place a leaked token could land after a run: output, JSON log, history, `status --json`. */
async function tokenLeaks(w: World, r: CliResult, token: string): Promise<string[]> {
  const status = await w.cli('status', '--json');
  const history = await readFile(path.join(w.jobState, 'history.jsonl'), 'utf8').catch(() => '');
  const places: [string, string][] = [
    ['stdout', r.stdout],
    ['stderr / JSON log', r.stderr],
    ['history.jsonl', history],
    ['status --json', status.stdout + status.stderr],
  ];
  return places.filter(([, text]) => text.includes(token)).map(([where]) => `the token leaked into ${where}`);
}

function echoRow(name: string, status: number, count: number, expect: Row['expect']): Row {
  return {
    name,
    setup: async (w) => {
      await csvBaseline(w);
      await dropChange(w);
      await setMim(w, { retries: { max: 3, baseDelayMs: 10, maxDelayMs: 50 } });
      await w.emu.fault({ type: 'echo-auth', status, count });
    },
    act: (w) => timed(() => w.cli('sync', '--log-level', 'debug')),
    expect,
    verify: (w, r) => tokenLeaks(w, r, TOKEN),
  };
}

/** The token comes from a file with `content`; a malformed one must be a config error naming the file. */
function tokenFileRow(name: string, content: string, text: RegExp): Row {
  return {
    name,
    setup: async (w) => {
      await csvBaseline(w);
      await dropChange(w);
      const file = path.join(w.dir, 'mim-token');
      await writeFile(file, content, { mode: 0o600 });
      await setMim(w, { token: '', tokenFile: file, retries: { max: 1, baseDelayMs: 10, maxDelayMs: 50 } });
    },
    act: (w) => timed(() => w.cli('sync')),
    expect: { exit: 78, text: [text, /mim-token/], mim: 'unchanged' },
    heal: async (w) => {
      await setMim(w, { token: TOKEN, tokenFile: '' });
    },
  };
}

const PASSWORD = 'hunter2-in-the-url';

/** Addresses MIM would refuse, each rejected with a message quoting it. */
const BAD_EMAILS = [
  'fritz@@example.com',
  'fritz@example',
  '"fritz smith"@example.com',
  'jürgen@beispiel.de',
  'a b@example.com',
];

/** The people's export plus one row per bad address (RFC 4180 quoted, so a `"` survives the CSV). */
function withBadEmails(people: readonly Person[]): string {
  const extra = BAD_EMAILS.map((email, i) => {
    const p = makePeople(1, 900 + i)[0]!;
    return [p.firstName, p.lastName, `"${email.replaceAll('"', '""')}"`, p.id, p.syncId].join(',');
  });
  return `${csvOf(people)}${extra.join('\n')}\n`;
}

export const ADVERSARIAL_CONFIG_ROWS: Row[] = [
  // Item 3: a config number must never switch a limit off.
  hostileLimitRow(
    'guard.maxDeletePercent from an empty env var (unset compose variable)',
    'maxDeletePercent',
    { env: '' },
  ),
  hostileLimitRow('guard.maxDeletePercent = "abc" from the env', 'maxDeletePercent', { env: 'abc' }),
  hostileLimitRow('guard.maxDeletePercent = Infinity from the env', 'maxDeletePercent', { env: 'Infinity' }),
  hostileLimitRow('guard.maxDeletePercent: NaN in the JSON5 file', 'maxDeletePercent', { fileValue: 'NaN' }),
  hostileLimitRow("guard.maxDeletePercent: 'ten' in the file", 'maxDeletePercent', { fileValue: "'ten'" }),
  hostileLimitRow('guard.maxShrinkPercent from an empty env var', 'maxShrinkPercent', { env: '' }),

  // Item 10: secrets and clear text.
  echoRow('MIM echoes the token in a 500 body on every attempt', 500, 4, {
    exit: 69,
    text: [/MIM did not accept the upload after 4 attempts/],
    mim: 'unchanged',
    pending: true,
  }),
  echoRow('MIM echoes the token in a 422 body', 422, 1, {
    exit: 65,
    text: [/MIM rejected the file \(HTTP 422\)/],
    mim: 'unchanged',
  }),
  tokenFileRow('token file starts with "Bearer "', `Bearer ${TOKEN}\n`, /starts with "Bearer "/),
  tokenFileRow('token file holds a line break inside', `matrix-\ntoken\n`, /line break/),
  {
    name: 'mim.baseUrl holds user:password@',
    setup: async (w) => {
      await csvBaseline(w);
      await dropChange(w);
      await setMim(w, { baseUrl: w.emu.url.replace('http://', `http://sync:${PASSWORD}@`) });
    },
    act: (w) => timed(() => w.cli('sync', '--log-level', 'debug')),
    expect: { exit: 78, text: [/mim\.baseUrl/, /user name or password/], mim: 'unchanged' },
    verify: async (_w, r) =>
      (r.stdout + r.stderr).includes(PASSWORD) ? ['the URL password reached the output'] : [],
    heal: async (w) => {
      await setMim(w, { baseUrl: w.emu.url });
    },
  },

  // Item 16: with log.maskEmails, no e-mail value reaches a log line unmasked, whatever its shape.
  {
    name: 'log.maskEmails: invalid addresses are masked in every log line',
    setup: async (w) => {
      await csvBaseline(w);
      w.config.log = { maskEmails: true };
      await w.saveConfig();
      await w.dropFile(withBadEmails(w.desired));
    },
    act: (w) => timed(() => w.cli('sync', '--log-level', 'debug')),
    expect: { exit: 0, text: [/not valid/], mim: 'unchanged' },
    verify: async (_w, r) => {
      const lines = r.stderr.split('\n').filter((l) => l.startsWith('{'));
      if (!lines.some((l) => l.includes('Rejected'))) return ['no rejection was logged'];
      return BAD_EMAILS.filter((e) =>
        lines.some((l) => l.includes(e) || l.includes(JSON.stringify(e).slice(1, -1))),
      ).map((e) => `${e} appears unmasked in the log`);
    },
    heal: async (w) => {
      await w.dropFile(csvOf(w.desired));
    },
  },
];
