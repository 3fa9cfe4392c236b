/**
 * Writes what a setup command produced (import-task, init): a config file, its secret files
 * (mode 0600) and any folders the config names. All or nothing: every target is checked before
 * the first byte is written, and a failure part-way removes what this call wrote, so a refused or
 * failed setup never leaves half a config behind.
 */
import { chmodSync, existsSync, mkdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, StateError } from '../core/errors.js';
import { type J5Object, renderJson5 } from './json5.js';

export interface SetupSecret {
  /** File name inside `dir` (e.g. `mim_token`, or `credentials/mim_token`: the folder is made 0700). */
  readonly name: string;
  readonly value: string;
}

export interface SetupPlan {
  /** Where the files go; created if missing. */
  readonly dir: string;
  /** The config's file name inside `dir`, e.g. `mobileid-sync.json5`. */
  readonly configName: string;
  /** The config: ready JSON5 text, or data (with `note()` comments) rendered with `header`. */
  readonly config: string | { readonly value: J5Object; readonly header: string };
  readonly secrets: readonly SetupSecret[];
  /** Folders the config names that should exist (e.g. a drop folder placeholder). Kept if present. */
  readonly folders?: readonly string[];
}

export interface WriteOptions {
  /** Replace existing files. Without it an existing file is an error and nothing is written. */
  readonly force?: boolean;
}

export interface WrittenSetup {
  /** Absolute path of the config file. */
  readonly config: string;
  /** Absolute paths of the secret files, in the order given. */
  readonly secrets: readonly string[];
  /** Folders this call created (existing ones are not listed). */
  readonly createdFolders: readonly string[];
}

/** Absolute path of each secret file a plan writes: what a config's `tokenFile` should name. */
export function secretPath(dir: string, name: string): string {
  return path.resolve(dir, name);
}

function configText(plan: SetupPlan): string {
  return typeof plan.config === 'string' ? plan.config : renderJson5(plan.config.value, plan.config.header);
}

function refuseExisting(files: readonly string[]): void {
  const existing = files.filter((f) => existsSync(f));
  if (existing.length === 0) return;
  throw new ConfigError(`Refusing to overwrite ${existing.join(', ')}`, {
    place: existing[0],
    fix: 'Pass --force to replace the files, or choose another folder with --out.',
  });
}

function fsError(e: unknown, file: string): StateError {
  const code = (e as NodeJS.ErrnoException).code ?? String(e);
  return new StateError(`Cannot write ${file}: ${code}`, {
    place: file,
    fix: 'Choose a folder you may write to (--out), or fix its permissions.',
    cause: e,
  });
}

/** Creates `folder` and its missing parents; returns the ones it created, top first. */
function makeFolder(folder: string, mode = 0o755): string[] {
  const missing: string[] = [];
  for (let d = folder; !existsSync(d); d = path.dirname(d)) missing.unshift(d);
  if (missing.length) mkdirSync(folder, { recursive: true, mode });
  return missing;
}

/** Undo a folder this call created; one that gained other files meanwhile stays. */
function removeEmptyFolder(folder: string): void {
  try {
    rmdirSync(folder);
  } catch {
    // not empty or already gone: leave it
  }
}

/**
 * Writes the plan. Throws ConfigError (an existing file, no --force) or StateError (the disk said
 * no) before anything stays written.
 */
export function writeSetup(plan: SetupPlan, options: WriteOptions = {}): WrittenSetup {
  const dir = path.resolve(plan.dir);
  const config = path.join(dir, plan.configName);
  const secrets = plan.secrets.map((s) => secretPath(dir, s.name));
  if (!options.force) refuseExisting([config, ...secrets]);
  const text = configText(plan);

  const created: string[] = [];
  const files: string[] = [];
  let current = dir;
  try {
    created.push(...makeFolder(dir));
    for (const folder of plan.folders ?? []) {
      current = path.resolve(dir, folder);
      created.push(...makeFolder(current));
    }
    plan.secrets.forEach((s, i) => {
      current = secrets[i]!;
      created.push(...makeFolder(path.dirname(current), 0o700));
      // 0600 from the first byte (no window where the token is readable), and again for a file
      // replaced under --force, whose old mode writeFileSync keeps.
      writeFileSync(current, `${s.value}\n`, { mode: 0o600, flag: options.force ? 'w' : 'wx' });
      files.push(current);
      chmodSync(current, 0o600);
    });
    current = config;
    writeFileSync(config, text, { mode: 0o644, flag: options.force ? 'w' : 'wx' });
    files.push(config);
  } catch (e) {
    for (const f of files) rmSync(f, { force: true });
    for (const d of [...created].reverse()) removeEmptyFolder(d);
    if (e instanceof ConfigError) throw e;
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') refuseExisting([current]);
    throw fsError(e, current);
  }
  return { config, secrets, createdFolders: created };
}
