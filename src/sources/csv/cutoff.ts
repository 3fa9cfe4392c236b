/**
 * Cut-off detection at the end of a file. A file is complete only when its last row ends in a line
 * break (CR or LF): a cut inside the last field, or just after a delimiter, leaves a row that looks
 * whole. `allowMissingFinalNewline` turns that rule off for writers that never end their last row;
 * a last row with too few fields is then still refused.
 */
import type { FileHandle } from 'node:fs/promises';
import { codeUnitBytes, type EncodingChoice } from './decode.js';
import { CUT_OFF_FIX, type FileProblem } from './file-error.js';
import type { RowSink } from './rows.js';

/** How the file ends, looking back past spaces, tabs and Ctrl-Z. */
interface FileEnd {
  readonly lineEnd: boolean;
  readonly empty: boolean;
}

/** Why the file counts as cut off at its end, or undefined when it is complete. */
export async function cutOffAtEnd(
  handle: FileHandle,
  size: number,
  choice: EncodingChoice,
  rows: RowSink,
  allowMissingFinalNewline: boolean,
): Promise<FileProblem | undefined> {
  // Read the tail once, and only when a rule below needs it.
  let end: FileEnd | undefined;
  const fileEnd = async (): Promise<FileEnd> => (end ??= await lastChar(handle, size, choice));
  return (
    (allowMissingFinalNewline ? undefined : await noFinalLineEnd(rows, fileEnd)) ??
    (await cutOffLastRow(rows, fileEnd))
  );
}

/**
 * A file whose last row has fewer fields than the mapping reads and no line break after it was
 * cut off mid-row (a copy or export that stopped early). Reading it would drop that person and so
 * delete them, under every deletion limit: the whole file is unusable instead.
 */
async function cutOffLastRow(
  rows: RowSink,
  fileEnd: () => Promise<FileEnd>,
): Promise<FileProblem | undefined> {
  const m = rows.mapping;
  const last = rows.lastRow;
  if (!m || !last) return undefined;
  const needed = Math.max(m.firstName, m.lastName, m.email, m.id, m.syncId) + 1;
  if (last.fields >= needed) return undefined;
  if ((await fileEnd()).lineEnd) return undefined;
  return {
    line: last.line,
    reason: `the file is cut off: its last row (line ${last.line}) has ${last.fields} of ${needed} fields and no line end`,
    fix: CUT_OFF_FIX,
  };
}

/**
 * A file with any row whose last byte is not a line end was cut off, however whole its last row
 * looks: a cut inside the last field or right after a delimiter leaves a row with every field.
 * Trailing spaces, tabs and a DOS end-of-file mark (Ctrl-Z) after the last line end are allowed.
 */
async function noFinalLineEnd(
  rows: RowSink,
  fileEnd: () => Promise<FileEnd>,
): Promise<FileProblem | undefined> {
  const line = rows.lastNonBlankLine;
  if (line === undefined) return undefined;
  const end = await fileEnd();
  if (end.lineEnd || end.empty) return undefined;
  return {
    line,
    reason: `the file is cut off: it does not end with a line break, so its last row (line ${line}) may be incomplete`,
    fix: "Export the file again completely (writers: write x.csv.tmp and rename it when complete). If this writer never ends its last row with a line break, set the source's allowMissingFinalNewline to true.",
  };
}

/** Whether the file ends in a line end, looking back past spaces, tabs and Ctrl-Z. */
async function lastChar(handle: FileHandle, size: number, choice: EncodingChoice): Promise<FileEnd> {
  const unit = codeUnitBytes(choice.encoding);
  const want = Math.min(size - choice.bomLength, 256) & (unit === 2 ? ~1 : ~0);
  const tail = Buffer.alloc(Math.max(0, want));
  await handle.read(tail, 0, tail.length, size - tail.length);
  for (let i = tail.length - unit; i >= 0; i -= unit) {
    const c =
      unit === 1
        ? tail[i]
        : choice.encoding === 'utf-16le'
          ? tail[i + 1] === 0
            ? tail[i]
            : -1
          : tail[i] === 0
            ? tail[i + 1]
            : -1;
    if (c === 0x0a || c === 0x0d) return { lineEnd: true, empty: false };
    if (c !== 0x20 && c !== 0x09 && c !== 0x1a) return { lineEnd: false, empty: false };
  }
  return { lineEnd: false, empty: tail.length < 256 };
}
