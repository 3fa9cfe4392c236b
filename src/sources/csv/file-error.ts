/** A drop file that cannot be used as a whole, and the fixes the messages share. */
import { formatCount } from '../../core/plural.js';

export interface FileProblem {
  /** 1-based physical line, when the problem has one. */
  readonly line?: number | undefined;
  readonly reason: string;
  readonly fix: string;
}

/** The file as a whole cannot be used. `changed`: it was modified while read (try again later). */
export class CsvFileError extends Error {
  readonly problems: readonly FileProblem[];
  readonly changed: boolean;
  constructor(problems: readonly FileProblem[], changed = false) {
    super(problems.map((p) => p.reason).join('; '));
    this.name = 'CsvFileError';
    this.problems = problems;
    this.changed = changed;
  }
}

export function isAbort(e: unknown): boolean {
  return e instanceof Error && e.name === 'AbortError';
}

/** For a file that is not text. */
export const NOT_TEXT_FIX =
  'Drop the CSV export itself: in Excel use File › Save As › "CSV UTF-8" or "CSV (Trennzeichen-getrennt)".';

/** For a file that is cut off. */
export const CUT_OFF_FIX =
  'Export the file again completely (writers: write x.csv.tmp and rename it when complete).';

/** A file over `maxFileBytes` is not read at all. */
export function tooLarge(size: number, max: number): FileProblem {
  return {
    reason: `the file is ${formatCount(size)} bytes, more than maxFileBytes (${formatCount(max)}), so it was not read`,
    fix: "If it is a real export, raise this source's maxFileBytes; else drop the right file.",
  };
}
