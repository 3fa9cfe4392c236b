/**
 * A Microsoft Teams incoming-webhook message carrying an Adaptive Card (1.4). Teams takes at most
 * 28 KB per message, so the body lines are cut to fit. Every text is a TextRun inside a
 * RichTextBlock: RichTextBlock renders no markdown, so a name like `[click](http://evil)` or
 * `**x**` is shown as typed, never as a link. The console link is an Action.OpenUrl (http/https only).
 */
import type { NotifyEvent, Severity } from '../types.js';
import { safeUrl } from './email.js';
import { fitLines, oneLine, SEVERITY_WORD, textMessage } from './text.js';

/** Teams refuses larger messages (28 KB, the JSON as UTF-8 bytes). */
export const TEAMS_MAX_BYTES = 28 * 1024;
/** What the card's frame, title and action may take at most (title and URL are cut to fit it). */
const FRAME_BYTES = 4 * 1024;

const utf8 = new TextEncoder();

export interface TextRun {
  readonly type: 'TextRun';
  readonly text: string;
  readonly weight?: 'Bolder';
  readonly size?: 'Large' | 'Medium';
  readonly color?: 'Attention' | 'Warning' | 'Accent' | 'Good';
}

export interface RichTextBlock {
  readonly type: 'RichTextBlock';
  readonly inlines: readonly TextRun[];
  readonly spacing?: 'None' | 'Small';
}

export interface OpenUrlAction {
  readonly type: 'Action.OpenUrl';
  readonly title: string;
  readonly url: string;
}

export interface TeamsMessage {
  readonly type: 'message';
  readonly attachments: readonly {
    readonly contentType: 'application/vnd.microsoft.card.adaptive';
    readonly contentUrl: null;
    readonly content: {
      readonly $schema: 'http://adaptivecards.io/schemas/adaptive-card.json';
      readonly type: 'AdaptiveCard';
      readonly version: '1.4';
      readonly body: readonly RichTextBlock[];
      readonly actions: readonly OpenUrlAction[];
      readonly msteams: { readonly width: 'Full' };
    };
  }[];
}

const COLOR: Record<Severity, TextRun['color']> = {
  critical: 'Attention',
  warning: 'Warning',
  info: 'Accent',
  ok: 'Good',
};

function block(run: TextRun, spacing?: RichTextBlock['spacing']): RichTextBlock {
  return { type: 'RichTextBlock', inlines: [run], ...(spacing ? { spacing } : {}) };
}

function lineBlock(line: string): RichTextBlock {
  return block({ type: 'TextRun', text: line.startsWith('- ') ? `• ${line.slice(2)}` : line }, 'Small');
}

/** A block's size in the message: its JSON as UTF-8, plus the comma between blocks. */
function lineBytes(b: RichTextBlock): number {
  return utf8.encode(JSON.stringify(b)).length + 1;
}

export function teamsMessage(event: NotifyEvent): TeamsMessage {
  const m = textMessage(event);
  const url = m.link ? safeUrl(m.link.url) : null;
  const body: RichTextBlock[] = [
    block({ type: 'TextRun', text: SEVERITY_WORD[m.severity], weight: 'Bolder', color: COLOR[m.severity] }),
    block({ type: 'TextRun', text: oneLine(m.title, 300), weight: 'Bolder', size: 'Medium' }, 'None'),
    ...fitLines(m.lines, TEAMS_MAX_BYTES - FRAME_BYTES, (line) => lineBytes(lineBlock(line))).map(lineBlock),
  ];
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body,
          actions:
            m.link && url && url.length <= 2048 ? [{ type: 'Action.OpenUrl', title: m.link.label, url }] : [],
          msteams: { width: 'Full' },
        },
      },
    ],
  };
}
