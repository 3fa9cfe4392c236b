/**
 * `import-task`: MIM's Auto-sync task (autosync_<project>.xml) → a config and a token file. Reads
 * the task, finds its upload, and plans the files; the CLI writes them (write-config.ts) and
 * prints the summary. Nothing is written when something is missing.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { SourceInvalidError } from '../core/errors.js';
import { findUpload, type Upload } from './find-upload.js';
import { note } from './json5.js';
import { decodeTaskBytes, readExecActions, type TextEncoding } from './task-xml.js';
import { type SetupPlan, secretPath } from './write-config.js';

export const CONFIG_NAME = 'mobileid-sync.json5';
/** Where the systemd unit's LoadCredential= reads it when --out is /etc/mobileid-sync. */
export const TOKEN_NAME = 'credentials/mim_token';
export const DROP_FOLDER = 'drop';

export interface ImportedTask {
  readonly file: string;
  readonly encoding: TextEncoding;
  readonly upload: Upload;
}

/** The script a `-File` action names, looked for next to the XML (by its file name) or at its own path. */
function scriptReader(xmlFile: string): (windowsPath: string) => { path: string; text: string } | undefined {
  return (windowsPath) => {
    const name = windowsPath.split(/[\\/]/).pop() ?? '';
    for (const candidate of [path.join(path.dirname(xmlFile), name), windowsPath]) {
      if (!name || !existsSync(candidate)) continue;
      return { path: candidate, text: decodeTaskBytes(readFileSync(candidate)).text };
    }
    return undefined;
  };
}

/** Reads the task file and finds its upload. Throws SourceInvalidError naming what is missing. */
export function readTask(file: string): ImportedTask {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new SourceInvalidError(`Cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, {
      place: file,
      fix: "Give the path of the task XML MIM offers in the project's Auto-sync settings (autosync_<project>.xml).",
      cause: e,
    });
  }
  const { text, encoding } = decodeTaskBytes(bytes);
  const actions = readExecActions(text, file);
  const upload = findUpload(actions, { file, readScript: scriptReader(file) });
  return { file, encoding, upload };
}

/** A job name the config accepts, from the project name: `Head Office` → `head-office`. */
export function jobName(project: string): string {
  const slug = project
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '')
    .slice(0, 63);
  return slug || 'main';
}

/** The CSV's file name when it is a plain one (no `%VAR%`, `$var`, wildcard), for the source's pattern. */
function plainFileName(windowsPath: string): string | undefined {
  const name = windowsPath.split(/[\\/]/).pop() ?? '';
  return /^[\w .()-]+\.\w+$/.test(name) ? name : undefined;
}

export interface ImportOptions {
  /** Where the files go. */
  readonly out: string;
  /** Use this MIM base URL instead of the task's (e.g. the local emulator, for a rehearsal). */
  readonly baseUrl?: string | undefined;
}

/** The files import-task writes for `task`. */
export function planImport(task: ImportedTask, options: ImportOptions): SetupPlan {
  const { upload } = task;
  const out = path.resolve(options.out);
  const drop = path.join(out, DROP_FOLDER);
  const fileName = plainFileName(upload.csvPath);
  const baseUrl = options.baseUrl ?? upload.baseUrl;
  const source = {
    name: 'autosync',
    kind: 'csv-folder',
    folder: note(
      drop,
      [
        `The Windows task uploaded ${upload.csvPath}: a Windows path this machine cannot read.`,
        `Make that file arrive here: mount or copy its folder (e.g. an SMB share mounted on ${drop},`,
        'or have the export copy it here). Writers should write the file as .tmp and rename it when',
        'complete, so a half-written file is never read.',
      ].join('\n'),
    ),
    ...(fileName
      ? { pattern: note(fileName, 'only the file the old task uploaded; the default reads every *.csv') }
      : {}),
  };
  const job = {
    name: jobName(upload.project),
    mim: {
      baseUrl: note(
        baseUrl,
        options.baseUrl ? `the task's URL was ${upload.baseUrl}; replaced by --base-url` : 'from the task',
      ),
      project: upload.project,
      tokenFile: note(
        secretPath(out, TOKEN_NAME),
        [
          'the token from the task (mode 0600), never in this file. Under systemd the service reads',
          "it through LoadCredential=mim_token:<this path>: then write tokenFile: 'mim_token'.",
        ].join('\n'),
      ),
    },
    schedule: note(
      { cron: '*/15 * * * *', watch: true, onStart: true },
      'the daemon (`mobileid-sync run`) runs every 15 minutes and whenever a file lands in the folder',
    ),
    sources: [source],
  };
  return {
    dir: out,
    configName: CONFIG_NAME,
    config: {
      header: [
        `mobileid-sync config written by \`mobileid-sync import-task\` from ${path.basename(task.file)}`,
        `(action ${upload.action}: ${upload.via}). Every key: \`mobileid-sync config docs\`.`,
        'Check it with `mobileid-sync config validate -c <this file>`, then `mobileid-sync plan -c <this file>`.',
      ].join('\n'),
      value: {
        stateDir: note('state', 'relative to this file: the last upload MIM accepted, history, approvals'),
        jobs: [job],
      },
    },
    secrets: [{ name: TOKEN_NAME, value: upload.token }],
    folders: [DROP_FOLDER],
  };
}
