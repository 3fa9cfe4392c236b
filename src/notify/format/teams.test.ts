import { describe, expect, it } from 'vitest';
import {
  blockedEvent,
  digestEvent,
  everyKind,
  HOSTILE_NAMES,
  hostileEvents,
} from '../../../test/helpers/notify-events.js';
import { TEAMS_MAX_BYTES, teamsMessage } from './teams.js';

function bytes(v: unknown): number {
  return new TextEncoder().encode(JSON.stringify(v)).length;
}

describe('teamsMessage', () => {
  it('is a message with one Adaptive Card 1.4 attachment and an OpenUrl action to the console', () => {
    const m = teamsMessage(blockedEvent());
    expect(m).toMatchObject({
      type: 'message',
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.adaptive',
          content: {
            type: 'AdaptiveCard',
            version: '1.4',
            actions: [
              {
                type: 'Action.OpenUrl',
                title: 'Review and approve',
                url: 'http://127.0.0.1:9464/console/jobs/main',
              },
            ],
          },
        },
      ],
    });
    const body = m.attachments[0]!.content.body;
    expect(body[1]!.inlines[0]!.text).toBe('[mobileid-sync] main: blocked — 30 deletes need approval');
  });

  it.each(HOSTILE_NAMES)('puts %s only in TextRuns, which render no markdown (no injected link)', (name) => {
    for (const e of hostileEvents(name)) {
      const card = teamsMessage(e).attachments[0]!.content;
      expect(
        card.body.every((b) => b.type === 'RichTextBlock' && b.inlines.every((r) => r.type === 'TextRun')),
      ).toBe(true);
      expect(card.actions.every((a) => !a.url.includes('evil'))).toBe(true);
    }
  });

  it('stays under 28 KB, even for a digest of thousands of jobs with multi-byte names', () => {
    for (const e of everyKind()) expect(bytes(teamsMessage(e))).toBeLessThanOrEqual(TEAMS_MAX_BYTES);
    const big = digestEvent(3000);
    const wide = { ...big, jobs: big.jobs.map((j) => ({ ...j, project: '工場"\\'.repeat(40) })) };
    const m = teamsMessage(wide);
    expect(bytes(m)).toBeLessThanOrEqual(TEAMS_MAX_BYTES);
    expect(m.attachments[0]!.content.body.at(-1)!.inlines[0]!.text).toMatch(/^… and \d+ more lines$/);
  });
});
