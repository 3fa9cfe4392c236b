/**
 * `init`: asks for (or takes as flags) the source, MIM project and token, loads the config it
 * would write with the real loader and runs `check` on it, then writes the config and its secret
 * files. Nothing is written before the admin's answers passed (or the admin chose to save anyway).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadConfigData } from '../../config/load.js';
import type { AppConfig } from '../../config/schema.js';
import { ConfigError, isSyncError } from '../../core/errors.js';
import { checkDaemonConfig } from '../../daemon/config-check.js';
import {
  CONFIG_NAME,
  configPath,
  type InitAnswers,
  initPlan,
  inlineConfig,
  SOURCE_NAMES,
} from '../../setup/init-answers.js';
import {
  answersFromFlags,
  FlagError,
  flagText,
  type InitFlags,
  refusePlainSecrets,
} from '../../setup/init-flags.js';
import type { AskContext } from '../../setup/init-questions.js';
import { secretPath, writeSetup } from '../../setup/write-config.js';
import { SOURCE_DEFINITIONS } from '../../sources/index.js';
import { UsageError } from '../command.js';
import { configArg, interruptSignal } from '../context.js';
import { EXIT, exitCodeFor } from '../exit-codes.js';
import { cliLogger } from '../logger.js';
import { checkJob } from './check.js';

export interface InitOptions {
  readonly flags: InitFlags;
  readonly nonInteractive: boolean;
  readonly force: boolean;
  readonly skipCheck: boolean;
  readonly logLevel?: string | undefined;
}

const out = (text: string): void => {
  process.stdout.write(`${text}\n`);
};

/** The files `answers` would write that exist already (refused without --force). */
function existing(answers: InitAnswers): string[] {
  const plan = initPlan(answers);
  return [configPath(answers), ...plan.secrets.map((s) => secretPath(plan.dir, s.name))].filter((f) =>
    existsSync(f),
  );
}

function overwriteError(files: readonly string[]): ConfigError {
  return new ConfigError(`Refusing to overwrite ${files.join(', ')}`, {
    place: files[0],
    fix: 'Pass --force to replace the files, or choose another folder with --out.',
  });
}

/** The config as `config validate` would load it, secrets inline; a ConfigError names the key. */
function loadAnswers(answers: InitAnswers): AppConfig {
  // No env overrides: the check tests these answers, not whatever MOBILEID_SYNC_* the shell holds.
  const config = loadConfigData(inlineConfig(answers), configPath(answers), {
    registry: SOURCE_DEFINITIONS,
    env: {},
  });
  checkDaemonConfig(config, SOURCE_DEFINITIONS);
  return config;
}

type Verdict = { readonly ok: true } | { readonly ok: false; readonly code: number };

/** Loads the answers and runs `check` on them, printing what it finds. */
async function verify(answers: InitAnswers, opts: InitOptions, signal: AbortSignal): Promise<Verdict> {
  let config: AppConfig;
  try {
    config = loadAnswers(answers);
  } catch (e) {
    if (!isSyncError(e)) throw e;
    out(
      `The answers do not make a valid config: ${e.message}\n  where: ${e.place ?? '-'}\n  fix:   ${e.fix}`,
    );
    return { ok: false, code: exitCodeFor(e.code) };
  }
  if (opts.skipCheck) {
    out('Live check skipped (--skip-check): run `check` before the first sync.');
    return { ok: true };
  }
  out('Testing the connections (changes nothing):');
  const logger = cliLogger(config, opts.logLevel);
  const ok = await checkJob(config.jobs[0]!, config.stateDir, logger, signal);
  if (!ok) return { ok: false, code: EXIT.unavailable };
  out('MIM offers no read-only call, so the token itself is first proven by the first sync.');
  return { ok: true };
}

function write(answers: InitAnswers, force: boolean): number {
  const written = writeSetup(initPlan(answers), { force });
  const c = configArg({ config: written.config });
  out(`\nWrote ${written.config}`);
  for (const s of written.secrets) out(`Wrote ${s} (mode 0600)`);
  out(
    [
      '',
      'Next:',
      `  mobileid-sync config validate${c}`,
      `  mobileid-sync check${c}`,
      `  mobileid-sync plan${c}      # dry run: who would be invited, updated, deleted`,
      `  mobileid-sync run${c}       # the daemon, once the plan looks right`,
    ].join('\n'),
  );
  if (answers.source.kind === 'csv-folder')
    out(`Exports go into ${answers.source.folder} (write x.csv.tmp, then rename it to x.csv).`);
  return EXIT.ok;
}

function summary(answers: InitAnswers): string {
  const s = answers.source;
  const where =
    s.kind === 'csv-folder'
      ? s.folder
      : s.kind === 'ldap'
        ? `${s.urls.join(', ')} (${s.preset}), base ${s.baseDns.join('; ')}`
        : `tenant ${s.tenantId}, app ${s.clientId}`;
  return `Job ${answers.job}: source ${SOURCE_NAMES[s.kind]} (${s.kind}) ${where} → MIM project "${answers.mim.project}" at ${answers.mim.baseUrl}`;
}

async function nonInteractive(opts: InitOptions, signal: AbortSignal): Promise<number> {
  let answers: InitAnswers;
  try {
    answers = answersFromFlags(opts.flags, process.env, process.cwd());
  } catch (e) {
    if (e instanceof FlagError) throw new UsageError(e.message);
    throw e;
  }
  const taken = existing(answers);
  if (taken.length && !opts.force) throw overwriteError(taken);
  out(summary(answers));
  const verdict = await verify(answers, opts, signal);
  if (!verdict.ok) {
    out(
      verdict.code === EXIT.config
        ? 'Nothing written.'
        : 'Nothing written. Fix the answers above, or pass --skip-check to write the config anyway.',
    );
    return verdict.code;
  }
  return write(answers, opts.force);
}

/** Asks where to write (unless `first` is given) until nothing there would be overwritten. */
async function askFreeWhere(
  q: typeof import('../../setup/init-questions.js'),
  first: Pick<InitAnswers, 'outDir' | 'stateDir'> | undefined,
  taken: (where: Pick<InitAnswers, 'outDir' | 'stateDir'>) => string[],
  ctx: AskContext,
): Promise<Pick<InitAnswers, 'outDir' | 'stateDir'>> {
  let where = first ?? (await q.askWhere(undefined, ctx));
  for (let files = taken(where); files.length; files = taken(where)) {
    out(`${overwriteError(files).message}: pass --force, or choose another folder.`);
    where = await q.askWhere(where, ctx);
  }
  return where;
}

async function interactive(opts: InitOptions, signal: AbortSignal): Promise<number> {
  const q = await import('../../setup/init-questions.js');
  const ctx: AskContext = { flags: opts.flags, env: process.env, cwd: process.cwd() };
  const job = flagText(ctx.flags, 'job') ?? 'main';
  const free = (files: string[]): string[] => (opts.force ? [] : files);
  out('mobileid-sync init: a few questions, a live check, then a config. Ctrl-C quits without writing.\n');
  // Asked first, so an existing config is found before the other questions.
  let where = await askFreeWhere(
    q,
    undefined,
    (w) => free([path.join(w.outDir, CONFIG_NAME)].filter((f) => existsSync(f))),
    ctx,
  );
  let source = await q.askSource(undefined, ctx);
  let mim = await q.askMim(undefined, ctx);
  for (;;) {
    // The secret files are known only now (they depend on the source).
    where = await askFreeWhere(q, where, (w) => free(existing({ job, source, mim, ...w })), ctx);
    const answers: InitAnswers = { job, source, mim, ...where };
    out(`\n${summary(answers)}`);
    const verdict = await verify(answers, opts, signal);
    if (verdict.ok) return write(answers, opts.force);
    // A config that does not load is never saved: `config validate` must pass on what init writes.
    const next = await q.askAfterFailure(verdict.code !== EXIT.config);
    if (next === 'save') return write(answers, opts.force);
    if (next === 'quit') {
      out('Nothing written.');
      return verdict.code;
    }
    if (next === 'source') source = await q.askSource(source, ctx);
    else mim = await q.askMim(mim, ctx);
  }
}

/** Ctrl-C inside a question ends init with nothing written. */
function isPromptExit(e: unknown): boolean {
  return e instanceof Error && e.name === 'ExitPromptError';
}

export async function initCommand(opts: InitOptions): Promise<number> {
  try {
    refusePlainSecrets(opts.flags);
  } catch (e) {
    if (e instanceof FlagError) throw new UsageError(e.message);
    throw e;
  }
  const signal = interruptSignal();
  if (opts.nonInteractive) return nonInteractive(opts, signal);
  if (!process.stdin.isTTY) {
    throw new UsageError(
      'init asks its questions on a terminal; for scripts pass --non-interactive with the answers as flags (see `mobileid-sync init --help`)',
    );
  }
  try {
    return await interactive(opts, signal);
  } catch (e) {
    if (!isPromptExit(e)) throw e;
    out('\nNothing written.');
    return EXIT.interrupted;
  }
}
