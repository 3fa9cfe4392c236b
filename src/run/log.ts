/** The run's log lines about errors, rejected records and planned changes. */
import { isSyncError } from '../core/errors.js';
import type { Notice, Rejection } from '../core/types.js';
import type { BuildResult } from '../pipeline/index.js';
import type { Logger } from '../telemetry/logger.js';

/** An error as log fields: a SyncError with its place and fix, anything else by its message. */
export function errorFields(e: unknown): Record<string, unknown> {
  if (isSyncError(e)) return { code: e.code, message: e.message, place: e.place, fix: e.fix };
  return { message: e instanceof Error ? e.message : String(e) };
}

export function logFindings(log: Logger, rejections: readonly Rejection[], notices: readonly Notice[]): void {
  for (const r of rejections)
    log.warn(
      { place: r.place.ref, source: r.place.source, code: r.code, fix: r.fix },
      `Rejected: ${r.reason}`,
    );
  for (const n of notices) log.info({ place: n.place?.ref, source: n.place?.source }, n.message);
}

/** One info line per person changed (the per-person audit trail). */
export function logChanges(log: Logger, build: BuildResult): void {
  for (const a of build.plan.adds)
    log.info({ change: 'add', syncId: a.syncId, email: a.email, place: a.place.ref }, 'Add');
  for (const u of build.plan.updates) {
    log.info(
      { change: 'update', syncId: u.syncId, email: u.after.email, fields: u.changes.map((c) => c.field) },
      'Update',
    );
  }
  for (const d of build.plan.deletes)
    log.info({ change: 'delete', syncId: d.syncId, email: d.email }, 'Delete');
}
