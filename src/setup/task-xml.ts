/**
 * Reads a Windows Task Scheduler task (the `autosync_<project>.xml` MIM hands out): its bytes in
 * whatever encoding Windows saved them, and its Exec actions. MIM's exact XML is not public, so
 * this walks Task Scheduler's own schema (Task/Actions/Exec: Command, Arguments, WorkingDirectory).
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { SourceInvalidError } from '../core/errors.js';

export interface ExecAction {
  readonly command: string;
  readonly arguments: string;
  readonly workingDirectory: string;
}

export type TextEncoding = 'utf-16le' | 'utf-16be' | 'utf-8';

/** Which encoding the file is in: its BOM, else the byte pattern of `<?xml` (UTF-16 without a BOM). */
export function detectEncoding(bytes: Uint8Array): { encoding: TextEncoding; bom: number } {
  const [a, b, c] = bytes;
  if (a === 0xff && b === 0xfe) return { encoding: 'utf-16le', bom: 2 };
  if (a === 0xfe && b === 0xff) return { encoding: 'utf-16be', bom: 2 };
  if (a === 0xef && b === 0xbb && c === 0xbf) return { encoding: 'utf-8', bom: 3 };
  if (a === 0x3c && b === 0x00) return { encoding: 'utf-16le', bom: 0 };
  if (a === 0x00 && b === 0x3c) return { encoding: 'utf-16be', bom: 0 };
  return { encoding: 'utf-8', bom: 0 };
}

/** The file's text. UTF-16 BE is swapped to LE, which is what TextDecoder reads reliably. */
export function decodeTaskBytes(bytes: Uint8Array): { text: string; encoding: TextEncoding } {
  const { encoding, bom } = detectEncoding(bytes);
  let body = bytes.subarray(bom);
  if (encoding === 'utf-16be') {
    const swapped = new Uint8Array(body.length - (body.length % 2));
    for (let i = 0; i + 1 < body.length; i += 2) {
      swapped[i] = body[i + 1]!;
      swapped[i + 1] = body[i]!;
    }
    body = swapped;
  }
  const label = encoding === 'utf-16be' ? 'utf-16le' : encoding;
  return { text: new TextDecoder(label).decode(body), encoding };
}

type Node = Record<string, unknown>;

function asNode(v: unknown): Node | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Node) : undefined;
}

function text(v: unknown): string {
  return typeof v === 'string' || typeof v === 'number' ? String(v).trim() : '';
}

function notATask(file: string, message: string, fix: string): SourceInvalidError {
  return new SourceInvalidError(message, { place: file, fix });
}

const EXPORT_FIX =
  "Give the file MIM offers under the project's Auto-sync settings (autosync_<project>.xml), as downloaded, or export the task from Windows Task Scheduler (right-click → Export…).";

/** The Exec actions of the task in `xml`, in order. Throws SourceInvalidError naming what is wrong. */
export function readExecActions(xml: string, file: string): ExecAction[] {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    const { msg, line, col } = valid.err;
    throw notATask(`${file}:${line}:${col}`, `Not an XML file: ${msg}`, EXPORT_FIX);
  }
  const parser = new XMLParser({
    ignoreAttributes: true,
    removeNSPrefix: true,
    parseTagValue: false,
    trimValues: false,
    htmlEntities: true,
    isArray: (name) => name === 'Exec',
  });
  const doc = asNode(parser.parse(xml));
  const task = asNode(doc?.Task);
  if (!task) {
    const root = Object.keys(doc ?? {}).find((k) => !k.startsWith('?')) ?? 'nothing';
    throw notATask(file, `Not a Task Scheduler task: the root element is <${root}>, not <Task>`, EXPORT_FIX);
  }
  const execs = asNode(task.Actions)?.Exec;
  const actions = (Array.isArray(execs) ? execs : []).map((e): ExecAction => {
    const n = asNode(e) ?? {};
    return {
      command: text(n.Command),
      arguments: text(n.Arguments),
      workingDirectory: text(n.WorkingDirectory),
    };
  });
  if (actions.length === 0) {
    throw notATask(
      file,
      'The task has no program to start (no Task/Actions/Exec): it cannot be the Auto-sync upload',
      EXPORT_FIX,
    );
  }
  return actions;
}
