/**
 * Test-only helpers: an EntraConfig filled with the schema defaults, pointed at a Graph stand-in,
 * and a logger whose lines can be searched for leaked secrets. Used by the entra tests and bench.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import convict from 'convict';
import { type Logger, pino } from 'pino';
import type { SourceContext } from '../../../src/core/source.js';
import { type EntraConfig, entraSchema, resolveEntraConfig } from '../../../src/sources/entra/config.js';
import { EntraSource } from '../../../src/sources/entra/source.js';

export interface StandInEndpoints {
  readonly url: string;
  readonly authorityHost: string;
  readonly caFile: string;
  readonly tenantId: string;
}

type Overrides = Partial<Omit<EntraConfig, 'map' | 'retries'>> & {
  map?: Partial<EntraConfig['map']>;
  retries?: Partial<EntraConfig['retries']>;
};

export function entraDefaults(): Omit<EntraConfig, 'name'> {
  return convict(entraSchema as convict.Schema<Omit<EntraConfig, 'name'>>).getProperties();
}

export function testConfig(
  standIn: StandInEndpoints,
  clientId: string,
  overrides: Overrides = {},
): EntraConfig {
  const d = entraDefaults();
  return {
    ...d,
    name: 'entra',
    tenantId: standIn.tenantId,
    clientId,
    authorityHost: standIn.authorityHost,
    graphBaseUrl: standIn.url,
    caFile: standIn.caFile,
    ...overrides,
    // Tests keep retries fast; Retry-After from the stand-in is 0 or a fraction of a second.
    retries: { max: 4, baseDelayMs: 5, maxDelayMs: 2_000, maxRetryAfterMs: 2_000, ...overrides.retries },
    map: { ...d.map, ...overrides.map },
  };
}

export interface LogCapture {
  readonly logger: Logger;
  text(): string;
}

export function captureLogs(): LogCapture {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: pino({ level: 'trace' }, stream), text: () => lines.join('') };
}

export interface TestContext extends SourceContext {
  clock: { now: Date };
}

export function testContext(
  logger: Logger,
  stateDir = mkdtempSync(path.join(tmpdir(), 'entra-state-')),
): TestContext {
  const clock = { now: new Date() };
  return { job: 'test', stateDir, logger, now: () => clock.now, clock };
}

export function createTestSource(config: EntraConfig, ctx: SourceContext): EntraSource {
  return new EntraSource(resolveEntraConfig(config, `jobs[${ctx.job}].sources[${config.name}]`), ctx);
}
