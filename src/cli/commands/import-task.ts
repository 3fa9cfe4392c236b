/** `import-task`: MIM's Auto-sync Task Scheduler XML → a config and a token file, then the next commands. */
import path from 'node:path';
import { registerSecret } from '../../core/secrets.js';
import { maskToken } from '../../setup/find-upload.js';
import { DROP_FOLDER, type ImportedTask, planImport, readTask } from '../../setup/import-task.js';
import type { TextEncoding } from '../../setup/task-xml.js';
import { type WrittenSetup, writeSetup } from '../../setup/write-config.js';
import { UsageError } from '../command.js';
import { EXIT } from '../exit-codes.js';

export interface ImportTaskOptions {
  readonly file: string | undefined;
  readonly out: string;
  readonly force: boolean;
  readonly baseUrl: string | undefined;
}

const ENCODING_TEXT: Record<TextEncoding, string> = {
  'utf-16le': 'UTF-16 LE',
  'utf-16be': 'UTF-16 BE',
  'utf-8': 'UTF-8',
};

/** A path as the admin should type it: relative to where they are when that is shorter. */
function shown(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && rel.length < file.length ? rel : file;
}

function summary(task: ImportedTask, written: WrittenSetup, baseUrl: string | undefined): string {
  const { upload } = task;
  const config = shown(written.config);
  const token = written.secrets[0] ?? '';
  const drop = path.join(path.dirname(written.config), DROP_FOLDER);
  const lines = [
    `Read ${task.file} (${ENCODING_TEXT[task.encoding]}): action ${upload.action} uploads with ${upload.via}${upload.script ? ` (script ${upload.script})` : ''}.`,
    `  MIM base URL:  ${upload.baseUrl}${baseUrl ? ` (config uses ${baseUrl}, from --base-url)` : ''}`,
    `  Project:       ${upload.project}`,
    `  Token:         ${maskToken(upload.token)}`,
    `  CSV uploaded:  ${upload.csvPath} (a Windows path)`,
    '',
    'Wrote:',
    `  ${config}`,
    `  ${shown(token)} (the token, mode 0600)`,
    `  ${shown(drop)}/ (the drop folder${written.createdFolders.includes(drop) ? '' : ', already there'})`,
    '',
    `The CSV is on the Windows machine: make ${path.basename(upload.csvPath.replace(/\\/g, '/'))} arrive in ${shown(drop)}`,
    '(mount the share there or copy the file; write it as .tmp and rename it when complete).',
    'The config keeps the default guard limits; read them before the first sync (README "Guard").',
    '',
    'Next:',
    `  mobileid-sync config validate -c ${config}`,
    `  mobileid-sync plan -c ${config}`,
  ];
  return `${lines.join('\n')}\n`;
}

export function importTaskCommand(opts: ImportTaskOptions): number {
  if (!opts.file)
    throw new UsageError('import-task needs the task file: mobileid-sync import-task autosync_<project>.xml');
  const task = readTask(opts.file);
  // The stdio scrubber removes it from anything printed by mistake; we show it only masked.
  registerSecret(task.upload.token);
  const plan = planImport(task, { out: opts.out, baseUrl: opts.baseUrl });
  const written = writeSetup(plan, { force: opts.force });
  process.stdout.write(summary(task, written, opts.baseUrl));
  return EXIT.ok;
}
