import { describe, expect, it } from 'vitest';
import {
  blockedEvent,
  digestEvent,
  everyKind,
  expiringEvent,
  failingEvent,
  person,
  recoveredEvent,
  unknownEvent,
} from '../../../test/helpers/notify-events.js';
import { fitLines, oneLine, plainText, textMessage } from './text.js';

describe('textMessage', () => {
  it('a blocked plan: title, plan summary, reasons, top deletes with how many more, the approve command, next step', () => {
    const m = textMessage(blockedEvent());
    expect(m.title).toBe('[mobileid-sync] main: blocked — 30 deletes need approval');
    expect(m.severity).toBe('critical');
    expect(m.lines).toEqual(
      expect.arrayContaining([
        'Plan p-1a2b3c: 2 adds, 1 update, 30 deletes, 970 unchanged (baseline b-9f8e).',
        '- 30 deletes exceed guard.maxDeletes (10)',
        'Deletes (the first 10 of 30):',
        '- Person 1 <p1@example.com> (ID ID1)',
        '… and 20 more',
        "If these changes are intended, approve exactly this plan: mobileid-sync approve main --plan p-1a2b3c -c '/etc/mobileid-sync/config.json5'",
      ]),
    );
    expect(m.link).toEqual({ label: 'Review and approve', url: 'http://127.0.0.1:9464/console/jobs/main' });
  });

  it('a hard stop says no approval can push it and offers no command', () => {
    const m = textMessage(blockedEvent({ guardKind: 'hard-stop', approveCommand: null }));
    expect(m.title).toBe('[mobileid-sync] main: blocked — hard stop, nothing pushed');
    expect(m.lines.join('\n')).toContain('No approval can push this plan');
    expect(m.lines.join('\n')).not.toContain('approve main');
  });

  it('a failing job: streak, since when, last success, the error with its place and fix', () => {
    const m = textMessage(failingEvent());
    expect(m.title).toBe('[mobileid-sync] main: failing — 3 runs in a row (SOURCE_UNAVAILABLE)');
    expect(m.lines).toEqual(
      expect.arrayContaining([
        'Job main (MIM project Acme HQ) has failed 3 times in a row since 2026-03-02 09:45 UTC; last success: 2026-03-01 22:00 UTC.',
        'Error SOURCE_UNAVAILABLE: LDAP server ldap.example.com:636 did not answer [jobs[0].sources[0].url]',
        'Fix: Check that the directory server is reachable.',
      ]),
    );
  });

  it('a reminder says so in the title and names the latest error', () => {
    const m = textMessage(failingEvent({ reminder: { firstAt: '2026-03-02T06:00:00.000Z', sent: 2 } }));
    expect(m.title).toMatch(/\(reminder\)$/);
    expect(m.lines[0]).toBe('Reminder: first notified 2026-03-02 06:00 UTC, 2 times so far.');
    expect(m.lines.some((l) => l.startsWith('Latest error SOURCE_UNAVAILABLE'))).toBe(true);
  });

  it('recovered, unknown outcome, expiring approval and digest say what happened and what to do', () => {
    expect(textMessage(recoveredEvent()).title).toBe('[mobileid-sync] main: recovered — run applied');
    expect(textMessage(unknownEvent()).lines.join(' ')).toContain('MIM may or may not have applied it');
    expect(textMessage(expiringEvent()).title).toBe(
      '[mobileid-sync] main: approval of plan p-1a2b3c expires 2026-03-02 11:00 UTC',
    );
    expect(textMessage(digestEvent()).title).toBe('[mobileid-sync] digest: 2 jobs, 0 blocked, 1 failing');
  });

  it('keeps every title one line and directory data from breaking lines', () => {
    const evil = blockedEvent({
      job: 'a\nb',
      topDeletes: [person(1, 'Eve\r\nBcc: x@y')],
      reasons: ['r\u2028s'],
    });
    for (const e of [...everyKind(), evil]) {
      const m = textMessage(e);
      expect(m.title).not.toMatch(/[\r\n]/);
      for (const line of m.lines) expect(line).not.toMatch(/[\r\n\u2028]/);
    }
  });
});

describe('helpers', () => {
  it('oneLine cuts long text with an ellipsis', () => {
    expect([...oneLine('x'.repeat(900))]).toHaveLength(500);
    expect(oneLine('a\tb\u0000c')).toBe('a b c');
  });

  it('fitLines keeps lines within a budget and says how many were left out', () => {
    expect(fitLines(['aaaa', 'bbbb', 'cccc'], 10)).toEqual(['aaaa', 'bbbb', '… and 1 more line']);
    expect(fitLines(['aa'], 10)).toEqual(['aa']);
  });

  it('plainText ends with the link', () => {
    expect(plainText(textMessage(failingEvent())).split('\n').at(-1)).toBe(
      'Open the job: http://127.0.0.1:9464/console/jobs/main',
    );
  });
});
