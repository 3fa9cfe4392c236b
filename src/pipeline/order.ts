/**
 * Rejections as the admin reads their file: by source (in the job's order), then by line. A
 * source's own rejections come in file order already, but duplicates are found later, in Sync ID
 * order; without this a duplicate on line 3 would be listed after a bad e-mail on line 900.
 */
import type { Rejection } from '../core/types.js';

const LINE_REF = /^(.*):(\d+)$/;

/** A stable sort: refs without a line (a DN, a Graph id) keep their order within their source. */
export function inFileOrder(rejections: readonly Rejection[], sources: readonly string[]): Rejection[] {
  const rank = new Map(sources.map((s, i) => [s, i]));
  const keyed = rejections.map((r, i) => {
    const m = LINE_REF.exec(r.place.ref);
    return {
      r,
      i,
      source: rank.get(r.place.source) ?? sources.length,
      file: m ? m[1]! : '',
      line: m ? Number(m[2]) : 0,
    };
  });
  keyed.sort(
    (a, b) =>
      a.source - b.source || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line || a.i - b.i,
  );
  return keyed.map((k) => k.r);
}
