/**
 * Microsoft Graph failing while an `entra` source reads it, through the local Graph stand-in
 * (test/helpers/graph-standin, real HTTPS with its own CA): a 500 on page 3 of the user list, a
 * 429 storm that outlasts the retries, and a delta link Graph no longer accepts.
 */
import {
  DEFAULT_CLIENT,
  DEFAULT_SECRET,
  type Fault,
  type GraphStandIn,
  generateUsers,
  type StandInUser,
  startGraphStandIn,
} from '../helpers/graph-standin/index.js';
import { scaled } from '../helpers/timing.js';
import { baselineSync, type Row, timed } from './row.js';
import type { Person, World } from './world.js';

const standIns = new WeakMap<World, GraphStandIn>();

function graph(w: World): GraphStandIn {
  const g = standIns.get(w);
  if (!g) throw new Error('no Graph stand-in for this row');
  return g;
}

/** How the job maps the stand-in's users (defaults: givenName, surname, mail, {employeeId}, id). */
function peopleOf(users: readonly StandInUser[]): Person[] {
  return users.map((u) => ({
    firstName: u.givenName ?? '',
    lastName: u.surname ?? '',
    email: (u.mail ?? '').toLowerCase(),
    id: u.employeeId ?? '',
    syncId: u.id,
  }));
}

/** A tenant of `count` members, a first sync MIM accepted, then `faults` armed. */
async function graphBaseline(w: World, count: number, extra: Record<string, unknown> = {}): Promise<void> {
  const g = await startGraphStandIn({ users: generateUsers({ count }) });
  standIns.set(w, g);
  w.cleanups.push(() => g.close());
  w.job.sources = [
    {
      name: 'entra',
      kind: 'entra',
      tenantId: g.tenantId,
      clientId: DEFAULT_CLIENT,
      clientSecret: DEFAULT_SECRET,
      authorityHost: g.authorityHost,
      graphBaseUrl: g.url,
      caFile: g.caFile,
      delta: false,
      requestTimeoutMs: scaled(5000),
      retries: { max: 2, baseDelayMs: 5, maxDelayMs: 100 },
      ...extra,
    },
  ];
  await w.saveConfig();
  await baselineSync(w, 'Graph baseline');
  w.desired = peopleOf(g.allUsers());
}

function faultRow(name: string, count: number, faults: Fault[], expect: Row['expect']): Row {
  return {
    name,
    setup: async (w) => {
      await graphBaseline(w, count);
      graph(w).setFaults(faults);
    },
    act: (w) => timed(() => w.cli('sync')),
    expect,
    heal: async (w) => graph(w).setFaults([]),
  };
}

export const GRAPH_ROWS: Row[] = [
  faultRow(
    'Graph 500 on page 3 of the user list, every retry (2,100 users)',
    2100,
    [{ route: 'users', page: 3, times: Number.POSITIVE_INFINITY, action: { type: 'status', status: 500 } }],
    {
      exit: 69,
      text: [
        /kept failing while reading users \(500 InternalServerError.*after 3 tries; nothing was read/,
        /\/v1\.0\/users \(page 3\)/,
      ],
      mim: 'unchanged',
      pending: false,
    },
  ),
  faultRow(
    'Graph 429 storm on page 2 beyond the retries',
    1200,
    [
      {
        route: 'users',
        page: 2,
        times: Number.POSITIVE_INFINITY,
        action: { type: 'status', status: 429, retryAfter: '0' },
      },
    ],
    {
      exit: 69,
      text: [/kept failing while reading users \(429 TooManyRequests.*after 3 tries/, /\(page 2\)/],
      mim: 'unchanged',
      pending: false,
    },
  ),
  {
    name: 'Graph delta link expired (410 resync): full read instead',
    setup: async (w) => {
      await graphBaseline(w, 300, { delta: true });
      const g = graph(w);
      const [first] = g.allUsers();
      if (!first) throw new Error('no users');
      g.updateUser(first.id, { surname: 'Renamed' });
      g.addUser(generateUsers({ count: 1, start: 300 })[0]!);
      g.expireDeltaTokens('resync');
      w.desired = peopleOf(g.allUsers());
    },
    act: (w) => timed(() => w.cli('sync')),
    expect: {
      exit: 0,
      text: [/Graph refused the stored delta link/, /1 to add, 1 to update, 0 to delete/],
      mim: 'applied',
      pending: false,
    },
    heal: async () => {},
  },
];
