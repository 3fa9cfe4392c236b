/**
 * The e-mails MIM would send, recorded instead of sent, so tests and rehearsals can see exactly who
 * would have been invited, told they lost access, or (the project contact) told an Auto-sync failed.
 */
import type { MessageDraft, MessageKind } from './model.js';

export interface OutboxMessage {
  readonly seq: number;
  /** ISO 8601 time the message was queued. */
  readonly at: string;
  readonly project: string;
  readonly to: string;
  readonly kind: MessageKind;
  readonly subject: string;
}

/** Subject lines modelled on MIM's e-mails; `errorCount` only matters for failure notices. */
export function subjectFor(kind: MessageKind, project: string, errorCount = 0): string {
  switch (kind) {
    case 'invitation':
      return `Your invitation to Mobile ID (${project})`;
    case 'invitation-withdrawn':
      return `Your Mobile ID invitation was withdrawn (${project})`;
    case 'deletion-notice':
      return `Your Mobile ID permissions were revoked (${project})`;
    case 'failure-notice':
      return `Auto-sync of ${project} failed: ${errorCount} ${errorCount === 1 ? 'error' : 'errors'}, nothing was applied`;
  }
}

/** Stamps drafts into messages numbered from `nextSeq`. */
export function composeMessages(
  drafts: readonly MessageDraft[],
  context: { project: string; at: string; nextSeq: number; errorCount?: number },
): OutboxMessage[] {
  return drafts.map((draft, index) => ({
    seq: context.nextSeq + index,
    at: context.at,
    project: context.project,
    to: draft.to,
    kind: draft.kind,
    subject: subjectFor(draft.kind, context.project, context.errorCount),
  }));
}
