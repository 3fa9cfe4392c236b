/**
 * MIM (the emulator) failing the upload: error statuses, throttling, a hung or reset connection,
 * an upload applied whose answer never arrives, a refused token, nobody listening.
 * Each row pushes the usual change (two new people, one renamed) on top of the 40-person baseline.
 */
import { scaled } from '../helpers/timing.js';
import { csvBaseline, dropChange, type Row, setMim, timed } from './row.js';
import { closedPort, type World } from './world.js';

type Fault = Record<string, unknown>;

/** The world's MIM timeouts and retries (world.ts), restored when a row heals. */
const MIM_DEFAULTS = {
  requestTimeoutMs: scaled(5000),
  retries: { max: 3, baseDelayMs: 10, maxDelayMs: 200 },
};

/** Baseline, then the change, with `faults` queued for its upload and `mim` keys set. */
function mimRow(
  name: string,
  faults: Fault[],
  expect: Row['expect'],
  mim: Record<string, unknown> = {},
  extra: Partial<Row> = {},
): Row {
  return {
    name,
    setup: async (w) => {
      await csvBaseline(w);
      await dropChange(w);
      await setMim(w, mim);
      for (const f of faults) await w.emu.fault(f);
    },
    act: (w) => timed(() => w.cli('sync')),
    expect,
    // The fault goes away, and so do the tight timeouts it needed: a busy machine must not fail
    // the clean runs.
    heal: async (w) => {
      await w.emu.clearFaults();
      await setMim(w, MIM_DEFAULTS);
    },
    ...extra,
  };
}

/** After the faulty run MIM holds the old list, so the row's change must not be there yet. */
const notApplied = { mim: 'unchanged' as const };
const ATTEMPTS = 4; // retries.max = 3 in the world's config

async function uploadsWith(w: World, fault: string): Promise<number> {
  return (await w.emu.uploads()).filter((u) => (u as { fault?: string }).fault === fault).length;
}

export const MIM_ROWS: Row[] = [
  mimRow('MIM 500 on every attempt', [{ type: 'status', status: 500, count: ATTEMPTS }], {
    exit: 69,
    text: [/MIM did not accept the upload after 4 attempts \(last: HTTP 500/, /next run retries/],
    ...notApplied,
    pending: true,
    healText: [/interrupted before/],
  }),
  mimRow(
    'MIM 502 with an HTML body',
    [
      {
        type: 'status',
        status: 502,
        count: ATTEMPTS,
        contentType: 'text/html',
        body: '<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1><p>nginx</p></body></html>',
      },
    ],
    { exit: 69, text: [/last: HTTP 502: 502 Bad Gateway Bad Gateway nginx\)/], ...notApplied, pending: true },
    {},
    {
      verify: async (_w, r) =>
        /<html|<h1>/i.test(r.stdout + r.stderr) ? ['raw HTML reached the output'] : [],
    },
  ),
  mimRow(
    'MIM 429 with Retry-After: 1, then accepted',
    [{ type: 'status', status: 429, count: 1, retryAfter: '1' }],
    { exit: 0, text: [/MIM accepted it \(HTTP 200, 2 attempts/], mim: 'applied', pending: false },
    { retries: { max: 3, baseDelayMs: 10, maxDelayMs: 5000 } },
    {
      verify: async (_w, r) =>
        (r.ms ?? 0) >= 1000 ? [] : [`Retry-After: 1 not honoured: the run took only ${r.ms} ms`],
    },
  ),
  // 429 is MIM refusing to process: proof that nothing was applied, so no intent is kept.
  mimRow('MIM 429 storm beyond the retries', [{ type: 'status', status: 429, count: 50, retryAfter: '0' }], {
    exit: 69,
    text: [/after 4 attempts \(last: HTTP 429/],
    ...notApplied,
    pending: false,
  }),
  mimRow(
    'MIM hangs (no answer within requestTimeoutMs)',
    [{ type: 'hang', count: ATTEMPTS }],
    { exit: 69, text: [/after 4 attempts \(last: no answer in time/], ...notApplied, pending: true },
    { requestTimeoutMs: scaled(500) },
  ),
  mimRow('MIM resets the connection mid-upload, every attempt', [{ type: 'reset', count: ATTEMPTS }], {
    exit: 69,
    text: [/after 4 attempts \(last: (ECONNRESET|UND_ERR_SOCKET)/],
    ...notApplied,
    pending: true,
  }),
  mimRow(
    'MIM applies, then the answer times out; the retry is accepted',
    [{ type: 'apply-then-hang', count: 1 }],
    { exit: 0, text: [/MIM accepted it \(HTTP 200, 2 attempts/], mim: 'applied', pending: false },
    { requestTimeoutMs: scaled(1000) },
    {
      verify: async (w) =>
        (await uploadsWith(w, 'apply-then-hang')) === 1 ? [] : ['the apply-then-hang fault was not hit'],
    },
  ),
  mimRow(
    'MIM applies, then every answer times out',
    [{ type: 'apply-then-hang', count: ATTEMPTS }],
    {
      exit: 69,
      text: [/no answer in time/],
      mim: 'applied',
      pending: true,
      healText: [/interrupted before/],
    },
    { requestTimeoutMs: scaled(1000) },
  ),
  mimRow(
    'MIM rejects the file (422)',
    [
      {
        type: 'status',
        status: 422,
        body: '{"result":"rejected","errors":[{"line":3,"message":"E-mail address invalid"}]}',
        contentType: 'application/json',
      },
    ],
    {
      exit: 65,
      text: [/MIM rejected the file \(HTTP 422\); nothing was applied/],
      ...notApplied,
      pending: false,
    },
  ),
  mimRow('MIM refuses the token (401)', [{ type: 'status', status: 401 }], {
    exit: 77,
    text: [/MIM refused the project token \(HTTP 401\)/],
    ...notApplied,
    pending: false,
  }),
  {
    name: 'MIM unreachable (connection refused)',
    setup: async (w) => {
      await csvBaseline(w);
      await dropChange(w);
      await setMim(w, { baseUrl: `http://127.0.0.1:${await closedPort()}` });
    },
    // Another URL is another target, so the baseline is unknown: the admin accepts it for this run.
    // Nothing ever connected, so nothing was applied and no intent is kept.
    act: (w) => timed(() => w.cli('sync', '--accept-unknown-baseline')),
    expect: { exit: 69, text: [/after 4 attempts \(last: ECONNREFUSED\)/], ...notApplied, pending: false },
    heal: async (w) => {
      await setMim(w, { baseUrl: w.emu.url });
    },
  },
];
