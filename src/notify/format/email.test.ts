import { describe, expect, it } from 'vitest';
import {
  blockedEvent,
  everyKind,
  HOSTILE_NAMES,
  hostileEvents,
} from '../../../test/helpers/notify-events.js';
import { escapeHtml } from '../../core/escape-html.js';
import { emailMessage } from './email.js';

describe('emailMessage', () => {
  it('subject is the title; the text part holds every line and the link', () => {
    const m = emailMessage(blockedEvent());
    expect(m.subject).toBe('[mobileid-sync] main: blocked — 30 deletes need approval');
    expect(m.text).toContain('- Person 1 <p1@example.com> (ID ID1)');
    expect(m.text).toContain('Review and approve: http://127.0.0.1:9464/console/jobs/main');
    expect(m.html).toContain('<a href="http://127.0.0.1:9464/console/jobs/main"');
  });

  it.each(HOSTILE_NAMES)('directory data %s arrives as text, never as markup', (name) => {
    for (const e of hostileEvents(name)) {
      const { html } = emailMessage(e);
      expect(html).toContain(escapeHtml(name));
      expect(html).not.toContain(name.includes('<') ? name : '\0');
      expect(html).not.toMatch(/<(img|script)\b/i);
    }
  });

  it('loads nothing remote and uses inline styles only', () => {
    for (const e of everyKind()) {
      const { html } = emailMessage(e);
      expect(html).not.toMatch(/<(img|link|style|script|iframe|object)\b|url\(|src=/i);
    }
  });

  it('links only http(s) URLs', () => {
    const { html } = emailMessage(blockedEvent({ consoleUrl: 'javascript:alert(1)' }));
    expect(html).not.toContain('href=');
  });
});
