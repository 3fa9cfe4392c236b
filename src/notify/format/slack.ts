/**
 * A Slack incoming-webhook payload: `text` (the notification and fallback) and Block Kit `blocks`
 * within Slack's limits (header ≤ 150 characters, section text ≤ 3000, ≤ 50 blocks, button text
 * ≤ 75, button URL ≤ 3000). Directory data is escaped as Slack asks (`&`, `<`, `>` as entities)
 * and sections are `verbatim`, so a name like `<!channel>` or `<http://x|y>` is shown, not parsed.
 */
import type { NotifyEvent } from '../types.js';
import { safeUrl } from './email.js';
import { oneLine, SEVERITY_WORD, textMessage } from './text.js';

export const SLACK_LIMITS = { header: 150, section: 3000, blocks: 50, buttonText: 75, url: 3000 } as const;

export interface SlackText {
  readonly type: 'plain_text' | 'mrkdwn';
  readonly text: string;
  readonly emoji?: boolean;
  readonly verbatim?: boolean;
}

export type SlackBlock =
  | { readonly type: 'header'; readonly text: SlackText }
  | { readonly type: 'section'; readonly text: SlackText }
  | { readonly type: 'context'; readonly elements: readonly SlackText[] }
  | {
      readonly type: 'actions';
      readonly elements: readonly {
        readonly type: 'button';
        readonly text: SlackText;
        readonly url: string;
        readonly action_id: string;
        readonly style?: 'primary' | 'danger';
      }[];
    };

export interface SlackPayload {
  readonly text: string;
  readonly blocks: readonly SlackBlock[];
}

/** Slack's control characters as entities (only these three: others would show as typed). */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function cut(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/** Escaped lines packed into sections of at most `section` characters, escaped length counted. */
function sections(lines: readonly string[], room: number): SlackBlock[] {
  const texts: string[] = [];
  let current = '';
  for (const raw of lines) {
    const line = cut(escapeMrkdwn(raw.startsWith('- ') ? `• ${raw.slice(2)}` : raw), SLACK_LIMITS.section);
    if (current && current.length + 1 + line.length > SLACK_LIMITS.section) {
      texts.push(current);
      current = '';
    }
    current = current ? `${current}\n${line}` : line;
  }
  if (current) texts.push(current);
  const kept = texts.slice(0, room);
  if (texts.length > room) {
    const last = kept.length - 1;
    kept[last] = cut(`${kept[last]}\n… and ${texts.length - last - 1} more`, SLACK_LIMITS.section);
  }
  return kept.map((text) => ({ type: 'section', text: { type: 'mrkdwn', text, verbatim: true } }));
}

export function slackPayload(event: NotifyEvent): SlackPayload {
  const m = textMessage(event);
  const url = m.link ? safeUrl(m.link.url) : null;
  const actions: SlackBlock[] =
    m.link && url && url.length <= SLACK_LIMITS.url
      ? [
          {
            type: 'actions',
            elements: [
              {
                type: 'button',
                text: { type: 'plain_text', text: cut(m.link.label, SLACK_LIMITS.buttonText) },
                url,
                action_id: 'open-console',
                ...(m.severity === 'critical' ? { style: 'primary' as const } : {}),
              },
            ],
          },
        ]
      : [];
  const context: SlackBlock = {
    type: 'context',
    elements: [{ type: 'mrkdwn', text: escapeMrkdwn(SEVERITY_WORD[m.severity]), verbatim: true }],
  };
  const head: SlackBlock = {
    type: 'header',
    text: { type: 'plain_text', text: cut(oneLine(m.title), SLACK_LIMITS.header), emoji: false },
  };
  const room = SLACK_LIMITS.blocks - 2 - actions.length;
  return {
    text: escapeMrkdwn(cut(m.title, SLACK_LIMITS.section)),
    blocks: [head, context, ...sections(m.lines, room), ...actions],
  };
}
