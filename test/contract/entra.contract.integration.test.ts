/**
 * The source contract for entra, against a Graph stand-in per world over HTTPS (real Graph SDK
 * and undici). 1,200 users make two pages of /users; faults hit page 2. Delta is on (the
 * default), so settle('applied') is what saves the delta link in the state dir.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { testConfig } from '../helpers/graph-standin/harness.js';
import {
  DEFAULT_CLIENT,
  DEFAULT_SECRET,
  type Fault,
  generateUsers,
  makeUser,
  startGraphStandIn,
} from '../helpers/graph-standin/index.js';
import { scaled } from '../helpers/timing.js';
import { type ContractWorld, describeSourceContract, type WorldSpec } from './source-contract.js';

const PAGE_2_FAILS: Fault = {
  route: 'users',
  page: 2,
  times: Number.POSITIVE_INFINITY,
  action: { type: 'status', status: 500 },
};

async function entraWorld(spec: WorldSpec): Promise<ContractWorld> {
  const valid = generateUsers({ count: spec.people });
  const invalid = Array.from({ length: spec.invalid }, (_, i) =>
    makeUser(spec.people + i, { employeeId: `Nr-Ä${i}` }),
  );
  const standIn = await startGraphStandIn({ users: [...valid, ...invalid] });
  const { name: _name, ...settings } = testConfig(standIn, DEFAULT_CLIENT, {
    clientSecret: DEFAULT_SECRET,
    retries: { max: 2 },
  });
  return {
    settings,
    emails: valid.map((u) => (u.mail ?? '').toLowerCase()),
    inputDirs: [],
    async midRead() {
      // Page 2 is held back; the read is mid-way once the source has asked for it.
      standIn.setFaults([{ route: 'users', page: 2, action: { type: 'delay', ms: scaled(5_000) } }]);
      const until = Date.now() + scaled(20_000);
      while (!standIn.requests().some((r) => r.route === 'users' && r.page === 2)) {
        if (Date.now() > until) throw new Error('the source never asked for page 2');
        await sleep(5);
      }
    },
    async breakNextRead(name) {
      if (name !== 'Graph failing page 2') throw new Error(`no break ${name}`);
      standIn.setFaults([PAGE_2_FAILS]);
    },
    close: () => standIn.close(),
  };
}

describeSourceContract({
  kind: 'entra',
  people: 1_200,
  ref: /^users\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12} \(.+\)$/,
  breaks: [
    {
      name: 'Graph failing page 2',
      message:
        /kept failing while reading users \(500 InternalServerError: .*\) after 3 tries; nothing was read/,
    },
  ],
  consumesInput: true,
  secret: { key: 'clientSecret', refused: /AADSTS7000215[\s\S]*Secret ID/ },
  world: entraWorld,
});
