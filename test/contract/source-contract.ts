/**
 * The one test suite every source kind runs: the contract of `core/source.ts` (complete-or-throw,
 * abort mid-read, settle only after the outcome, a place on every rejection, no secret in any
 * error or log line), asserted the same way for each kind. A kind brings a harness that builds a
 * world on a real server or folder (N people written, a read that breaks part-way, a secret in the
 * config); the suite creates the source through the registry, as the loader does, and judges it.
 * What a kind cannot do (csv-folder holds no secret) is left out by the harness, not skipped.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import convict from 'convict';
import { type Logger, pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { AbortedError, ConfigError, SyncError } from '../../src/core/errors.js';
import type { Source, SourceContext, SourceSnapshot } from '../../src/core/source.js';
import type { CollectedRecords, SourceKind } from '../../src/core/types.js';
import { collectAll } from '../../src/pipeline/collect.js';
import { SOURCE_DEFINITIONS } from '../../src/sources/index.js';
import { scaled } from '../helpers/timing.js';

/** The source's name in the contract job; every place must carry it. */
export const SOURCE_NAME = 'contract';

export interface LogLine {
  readonly msg?: string;
  readonly [key: string]: unknown;
}

/** Every line the source logs (at trace level and up), as text and as parsed lines for triggers. */
export class LogTap {
  private readonly lines: string[] = [];
  private readonly watchers = new Set<(line: LogLine) => void>();
  readonly logger: Logger = pino(
    { level: 'trace' },
    {
      write: (text: string) => {
        this.lines.push(text);
        const line = JSON.parse(text) as LogLine;
        for (const watch of this.watchers) watch(line);
      },
    },
  );

  /** Calls `watch` for every later line until the returned function is called. */
  on(watch: (line: LogLine) => void): () => void {
    this.watchers.add(watch);
    return () => this.watchers.delete(watch);
  }

  text(): string {
    return this.lines.join('');
  }
}

export interface WorldSpec {
  /** Valid people to write. */
  readonly people: number;
  /** People whose data MIM would refuse (an ID that is not ASCII), written after the valid ones. */
  readonly invalid: number;
}

/** One kind's data on a real server or folder, owned by one test. */
export interface ContractWorld {
  /** The source's entry in `jobs[].sources[]` (without `name` and `kind`), as a config file holds it. */
  readonly settings: Readonly<Record<string, unknown>>;
  /** The e-mail addresses (lower-case) of the valid people written. */
  readonly emails: readonly string[];
  /** Folders besides the state dir the source reads from and may consume (csv-folder: the drop folder). */
  readonly inputDirs: readonly string[];
  /** Resolves once the fetch started next is in the middle of reading (a page or chunk read, more to come). */
  midRead(): Promise<void>;
  /** Makes the next fetch break part-way through, the way the harness's break `name` says. */
  breakNextRead(name: string): Promise<void>;
  close(): Promise<void>;
}

export interface SourceContractHarness {
  readonly kind: SourceKind;
  /** Valid people in a world: enough for several pages or stream chunks. */
  readonly people: number;
  /** What the ref of every place looks like: file:line, DN, Graph id. */
  readonly ref: RegExp;
  /**
   * The ways this kind's input can break mid-read, with the message each failure must give. The
   * first one's change to the input is made before `breakNextRead` returns (the dry-run check
   * compares the disk after it).
   */
  readonly breaks: readonly { readonly name: string; readonly message: RegExp }[];
  /** Whether settle('applied') consumes input (drop file archived, delta link saved). */
  readonly consumesInput: boolean;
  /** The settings key holding a secret, and what a server's refusal of it reads like; absent: no secret. */
  readonly secret?: { readonly key: string; readonly refused: RegExp };
  world(spec: WorldSpec, logs: LogTap): Promise<ContractWorld>;
}

/** Builds a source the way the config loader and `createSources` do: schema check, then the registry. */
function createSource(
  kind: SourceKind,
  settings: Readonly<Record<string, unknown>>,
  ctx: SourceContext,
): Source {
  const definition = SOURCE_DEFINITIONS.get(kind);
  if (!definition) throw new Error(`source kind ${kind} is not registered`);
  const config = convict(definition.schema as convict.Schema<Record<string, unknown>>);
  config.load(settings);
  config.validate({ allowed: 'strict' });
  return definition.create({ ...config.getProperties(), name: SOURCE_NAME } as never, ctx);
}

/** Every file under `dirs` with its size and hash: equal fingerprints mean nothing was moved or written. */
async function fingerprint(dirs: readonly string[]): Promise<string> {
  const out: string[] = [];
  const walk = async (dir: string, rel: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => undefined);
    if (!entries) {
      out.push(`${rel}: missing`);
      return;
    }
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const at = path.join(dir, e.name);
      if (e.isDirectory()) {
        out.push(`${rel}/${e.name}/`);
        await walk(at, `${rel}/${e.name}`);
      } else {
        const bytes = await readFile(at);
        out.push(`${rel}/${e.name} ${bytes.length} ${createHash('sha256').update(bytes).digest('hex')}`);
      }
    }
  };
  for (const [i, dir] of dirs.entries()) await walk(dir, `#${i}`);
  return out.join('\n');
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected the fetch to fail');
    },
    (e: unknown) => e,
  );
}

/** Everything an error shows anywhere: message, place, fix, stack and its causes. */
function errorTexts(e: unknown, depth = 0): string {
  if (depth > 5 || e === undefined || e === null) return '';
  if (!(e instanceof Error)) return String(e);
  const own = e instanceof SyncError ? [e.describe(), String(e.place), e.fix] : [];
  let json = '';
  try {
    json = JSON.stringify(e);
  } catch {
    // a cause that cannot be serialised still has its message and stack below
  }
  return [e.message, String(e.stack), json, ...own, errorTexts(e.cause, depth + 1)].join('\n');
}

/** What the pipeline sees of a snapshot: the source's own collection, or the records collected. */
function collected(snap: SourceSnapshot): CollectedRecords {
  return snap.collected ?? collectAll(snap.source, snap.kind, snap.records, snap.unreadable ?? []);
}

const sorted = (values: Iterable<string>): string[] => [...values].sort();

export function describeSourceContract(h: SourceContractHarness): void {
  describe(`the ${h.kind} source keeps the source contract`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    async function setup(spec: WorldSpec = { people: h.people, invalid: 0 }) {
      const logs = new LogTap();
      const world = await h.world(spec, logs);
      const stateDir = await mkdtemp(path.join(os.tmpdir(), `contract-${h.kind}-state-`));
      cleanups.push(async () => {
        await world.close();
        await rm(stateDir, { recursive: true, force: true });
      });
      const create = (options: { dryRun?: boolean; settings?: Record<string, unknown> } = {}): Source => {
        const source = createSource(h.kind, options.settings ?? world.settings, {
          job: 'contract',
          stateDir,
          logger: logs.logger,
          now: () => new Date(),
          dryRun: options.dryRun,
        });
        cleanups.push(() => source.close());
        return source;
      };
      const disk = (): Promise<string> => fingerprint([stateDir, ...world.inputDirs]);
      const everyone = async (source: Source): Promise<void> => {
        const valid = collected(await source.fetch(AbortSignal.timeout(scaled(20_000)))).valid;
        expect(valid).toHaveLength(world.emails.length);
        expect(sorted(valid.map((r) => r.email))).toEqual(sorted(world.emails));
      };
      return { world, logs, create, disk, everyone };
    }

    describe('complete or throw', () => {
      it('fetch returns every person written, each once', async () => {
        const { create, everyone } = await setup();
        await everyone(create());
      });

      for (const b of h.breaks) {
        it(`${b.name}: fetch throws a SyncError saying so, never a partial list`, async () => {
          const { world, create } = await setup();
          const source = create();
          await world.breakNextRead(b.name);
          const e = await failure(source.fetch(AbortSignal.timeout(scaled(20_000))));
          expect(e).toBeInstanceOf(SyncError);
          expect(e).not.toBeInstanceOf(AbortedError);
          expect((e as SyncError).message).toMatch(b.message);
        });
      }
    });

    it('an abort mid-read rejects promptly with AbortedError and consumes nothing', async () => {
      const { world, create, disk, everyone } = await setup();
      const before = await disk();
      const source = create();
      const controller = new AbortController();
      const reading = world.midRead();
      const outcome = failure(source.fetch(controller.signal));
      await Promise.race([reading, outcome]);
      const aborted = Date.now();
      controller.abort();
      expect(await outcome).toBeInstanceOf(AbortedError);
      expect(Date.now() - aborted).toBeLessThan(scaled(2_000));
      expect(await disk()).toBe(before);
      // Nothing was half-consumed: the next read sees everyone again.
      await everyone(source);
    });

    describe('settle only after the outcome', () => {
      it("nothing is consumed before settle; 'failed' and 'blocked' keep the input, 'applied' consumes it", async () => {
        const { create, disk } = await setup();
        const before = await disk();
        const source = create();
        for (const outcome of ['failed', 'blocked'] as const) {
          const snap = await source.fetch(AbortSignal.timeout(scaled(20_000)));
          expect(await disk()).toBe(before);
          await snap.settle?.(outcome, '');
          expect(await disk()).toBe(before);
        }
        const snap = await source.fetch(AbortSignal.timeout(scaled(20_000)));
        expect(await disk()).toBe(before);
        await snap.settle?.('applied', '');
        if (h.consumesInput) expect(await disk()).not.toBe(before);
        else expect(await disk()).toBe(before);
      });

      it('a dry run changes nothing on disk: check, fetch, and a read that breaks', async () => {
        const { world, create, disk, everyone } = await setup();
        const before = await disk();
        const source = create({ dryRun: true });
        await source.check(AbortSignal.timeout(scaled(20_000)));
        await everyone(source);
        // Settle is never called in a dry run (the run does not), so nothing may have moved.
        expect(await disk()).toBe(before);
        const [first] = h.breaks;
        if (first) {
          await world.breakNextRead(first.name);
          const broken = await disk();
          expect(await failure(source.fetch(AbortSignal.timeout(scaled(20_000))))).toBeInstanceOf(SyncError);
          // e.g. an unusable drop file stays where it is instead of moving to failed/
          expect(await disk()).toBe(broken);
        }
      });
    });

    it('every record and every rejection names its place', async () => {
      const invalid = 3;
      const { create } = await setup({ people: h.people, invalid });
      const snap = await create().fetch(AbortSignal.timeout(scaled(20_000)));
      const c = collected(snap);
      const places = [
        ...snap.records.map((r) => r.place),
        ...c.valid.map((r) => r.place),
        ...c.listed.map((r) => r.place),
        ...[...c.rejectedKeys()].map((k) => k.place),
      ];
      for (const place of places) {
        expect(place).toEqual({ source: SOURCE_NAME, kind: h.kind, ref: expect.stringMatching(h.ref) });
      }
      for (const u of snap.unreadable ?? []) expect(u.ref).toMatch(h.ref);
      expect(c.valid).toHaveLength(h.people);
      expect(c.rejections).toBe(invalid);
      // Each rejection names its own record, not one shared place.
      expect(new Set(c.listed.map((r) => r.place.ref)).size).toBe(invalid);
      expect(new Set([...c.rejectedKeys()].map((k) => k.place.ref)).size).toBe(invalid);
    });

    const secret = h.secret;
    if (secret) {
      describe('secrets never in errors', () => {
        it('a refused credential is a ConfigError, and neither it nor the right one shows anywhere', async () => {
          const { world, logs, create } = await setup();
          const right = String(world.settings[secret.key]);
          const wrong = 'Wr0ng-c0ntract~s3cret';
          const source = create({ settings: { ...world.settings, [secret.key]: wrong } });
          const e = await failure(source.fetch(AbortSignal.timeout(scaled(20_000))));
          expect(e).toBeInstanceOf(ConfigError); // a credential problem: retrying will not help
          expect((e as ConfigError).describe()).toMatch(secret.refused);
          const check = await source.check(AbortSignal.timeout(scaled(20_000)));
          expect(check.ok).toBe(false);
          const shown = [errorTexts(e), ...check.lines, logs.text()].join('\n');
          expect(shown).not.toContain(wrong);
          expect(shown).not.toContain(right);
        });

        it('the configured secret is in no error and no log line, also when a read breaks', async () => {
          const { world, logs, create } = await setup();
          const right = String(world.settings[secret.key]);
          expect(right.length).toBeGreaterThan(3);
          const source = create();
          expect((await source.check(AbortSignal.timeout(scaled(20_000)))).ok).toBe(true);
          await source.fetch(AbortSignal.timeout(scaled(20_000)));
          const errors: unknown[] = [];
          for (const b of h.breaks.slice(0, 1)) {
            await world.breakNextRead(b.name);
            errors.push(await failure(source.fetch(AbortSignal.timeout(scaled(20_000)))));
          }
          const shown = [...errors.map((e) => errorTexts(e)), logs.text()].join('\n');
          expect(shown).not.toContain(right);
        });
      });
    }
  });
}
