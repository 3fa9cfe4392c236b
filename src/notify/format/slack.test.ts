import { describe, expect, it } from 'vitest';
import {
  blockedEvent,
  digestEvent,
  everyKind,
  HOSTILE_NAMES,
  hostileEvents,
} from '../../../test/helpers/notify-events.js';
import { SLACK_LIMITS, type SlackBlock, slackPayload } from './slack.js';

function texts(blocks: readonly SlackBlock[]): string[] {
  return blocks.flatMap((b) =>
    b.type === 'actions'
      ? b.elements.map((e) => e.text.text)
      : b.type === 'context'
        ? b.elements.map((e) => e.text)
        : [b.text.text],
  );
}

function withinLimits(p: ReturnType<typeof slackPayload>): void {
  expect(p.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
  for (const b of p.blocks) {
    if (b.type === 'header') expect([...b.text.text].length).toBeLessThanOrEqual(SLACK_LIMITS.header);
    if (b.type === 'section') expect(b.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.section);
    if (b.type === 'actions')
      for (const e of b.elements) expect(e.url.length).toBeLessThanOrEqual(SLACK_LIMITS.url);
  }
}

describe('slackPayload', () => {
  it('has the fallback text, a header, the body as verbatim mrkdwn sections and a console button', () => {
    const p = slackPayload(blockedEvent());
    expect(p.text).toBe('[mobileid-sync] main: blocked — 30 deletes need approval');
    expect(p.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: p.text, emoji: false } });
    expect(
      p.blocks.filter((b) => b.type === 'section').every((b) => b.type === 'section' && b.text.verbatim),
    ).toBe(true);
    expect(p.blocks.at(-1)).toMatchObject({
      type: 'actions',
      elements: [
        {
          type: 'button',
          url: 'http://127.0.0.1:9464/console/jobs/main',
          text: { text: 'Review and approve' },
        },
      ],
    });
  });

  it.each(HOSTILE_NAMES)('escapes &, < and > in %s so mentions and links stay text', (name) => {
    for (const e of hostileEvents(name)) {
      const all = texts(slackPayload(e).blocks).join('\n');
      expect(all).not.toMatch(/<[!@#h]/);
      if (name.includes('<')) expect(all).toContain('&lt;');
    }
  });

  it('stays within the block, header, section and button limits, with "… and N more" when cut', () => {
    for (const e of everyKind()) withinLimits(slackPayload(e));
    const huge = slackPayload(digestEvent(2000));
    withinLimits(huge);
    expect(texts(huge.blocks).join('\n')).toMatch(/… and \d+ more/);
    const longTitle = slackPayload(blockedEvent({ job: 'j'.repeat(400) }));
    withinLimits(longTitle);
  });
});
