/** Things an admin should know before an upload that are not errors. Pure. */
import { likelyEmailChanges, type Plan } from './plan.js';

/**
 * Warnings about people MIM will delete and re-invite: every e-mail change when MIM matches by
 * e-mail (`includeSyncId` off), and delete + add pairs that look like one person whose e-mail
 * and Sync ID both changed.
 */
export function planWarnings(plan: Plan, includeSyncId: boolean): string[] {
  const out: string[] = [];
  if (!includeSyncId) {
    out.push(
      'mim.dialect.includeSyncId is off: MIM matches people by e-mail, so an e-mail change deletes the person and sends a new invitation.',
    );
  }
  for (const { from, to } of likelyEmailChanges(plan)) {
    out.push(
      `${from.email} → ${to.email} looks like an e-mail change, but the Sync ID changed too (${from.syncId} → ${to.syncId}): MIM will delete this person and send a new invitation. Use a stable Sync ID column.`,
    );
  }
  return out;
}
