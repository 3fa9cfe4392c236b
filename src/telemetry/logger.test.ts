/**
 * Log lines: secrets scrubbed by value from the finished line, e-mails masked whatever their shape
 * (issue #10 items 10 and 16).
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { forgetSecrets, registerSecret } from '../core/secrets.js';
import { validateRecord } from '../pipeline/validate.js';
import { createLogger, maskEmail, maskEmailsDeep, maskEmailValue } from './logger.js';

afterEach(() => forgetSecrets());

function capture(maskEmails: boolean) {
  const lines: string[] = [];
  const log = createLogger({ level: 'trace', maskEmails, stream: { write: (l) => lines.push(l) } });
  return { log, lines };
}

describe('secrets in log lines', () => {
  it('a registered secret is scrubbed by value from every part of the line', () => {
    registerSecret('tok/en-0123456789');
    const { log, lines } = capture(false);
    log.error(
      { err: 'MIM said: {"authorization":"Bearer tok\\/en-0123456789"}' },
      'failed with tok/en-0123456789',
    );
    log.child({ place: 'https://u:tok/en-0123456789@mim' }).warn('x');
    const all = lines.join('');
    expect(all).not.toContain('0123456789');
    expect(all.split('[redacted]').length - 1).toBeGreaterThanOrEqual(3);
    for (const l of lines) expect(() => JSON.parse(l)).not.toThrow();
  });
});

describe('e-mail masking', () => {
  it('masks every shape of address by field, and in rejection messages', () => {
    for (const [raw, masked] of [
      ['fritz@example.com', 'f***@example.com'],
      ['fritz@@example.com', 'f***@example.com'],
      ['fritz@example', 'f***@***'],
      ['"fritz smith"@example.com', '"***@example.com'],
      ['jürgen@beispiel.de', 'j***@beispiel.de'],
      ['a b@example.com', 'a***@example.com'],
      ['@example.com', '***@***'],
      ['x@example.com', '***@example.com'],
      ['no-at-sign', 'n***'],
    ] as const) {
      expect(maskEmailValue(raw), raw).toBe(masked);
    }
    expect(maskEmail('Rejected: E-mail address "a b@example.com" is not valid')).toBe(
      'Rejected: E-mail address "a***@example.com" is not valid',
    );
    expect(maskEmail('Rejected: E-mail address ""fritz smith"@example.com" is not valid')).toBe(
      'Rejected: E-mail address ""***@example.com" is not valid',
    );
    expect(maskEmail('duplicate e-mail "x y@z.de", also at hr: a.csv:3 (that one is kept)')).toBe(
      'duplicate e-mail "x***@z.de", also at hr: a.csv:3 (that one is kept)',
    );
    expect(maskEmail('Bind as svc@corp.example failed')).toBe('Bind as s***@corp.example failed');
  });

  it('masks deep values (the daemon /status) without breaking their shape', () => {
    const body = {
      jobs: [
        { runs: [{ rejections: [{ email: 'a b@x.de', reason: 'E-mail address "a b@x.de" is not valid' }] }] },
      ],
    };
    const out = maskEmailsDeep(body);
    expect(JSON.stringify(out)).not.toContain('a b@x.de');
    expect(out.jobs[0]?.runs[0]?.rejections[0]?.email).toBe('a***@x.de');
  });

  it('property: no e-mail value, whatever its shape, reaches a log line unmasked', () => {
    const { log, lines } = capture(true);
    const place = { source: 'hr', kind: 'csv-folder', ref: 'staff.csv:7' } as const;
    const logged = (email: string): string => {
      lines.length = 0;
      log.info({ change: 'add', syncId: 'P1', email, place: place.ref }, 'Add');
      const problems = validateRecord(place, {
        firstName: 'F',
        lastName: 'L',
        email,
        id: 'B1',
        syncId: 'P1',
      });
      for (const r of problems)
        log.warn({ place: place.ref, code: r.code, fix: r.fix }, `Rejected: ${r.reason}`);
      // The timestamp changes from line to line, so a value like ".0" can match it by chance.
      for (let i = 0; i < lines.length; i++) lines[i] = (lines[i] ?? '').replace(/"time":"[^"]*",/, '');
      return lines.join('\n');
    };
    // The fixed text of the lines: an accepted and a rejected address.
    const frame = `${logged('neutral@example.com')}\n${logged('neutral@@')}`;
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ minLength: 3 }), fc.string({ unit: 'grapheme', minLength: 3 }), emailish()),
        (email) => {
          // A value that is part of every line anyway ("info", a quote, ` \"` as JSON escapes it),
          // made of the mask's own stars, or so short that the one character the mask keeps plus
          // the quote before it spell it (`""` → `"\"***`) proves nothing.
          const escaped = JSON.stringify(email).slice(1, -1);
          fc.pre(
            [...email].length >= 3 &&
              !frame.includes(email) &&
              !frame.includes(escaped) &&
              !email.includes('*') &&
              email.trim() !== '',
          );
          const text = logged(email);
          const values = lines.flatMap((l) => stringsOf(JSON.parse(l)));
          expect(text.includes(email) || text.includes(escaped), text).toBe(false);
          expect(
            values.some((v) => v.includes(email)),
            text,
          ).toBe(false);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

/** Strings that look like addresses, with the shapes validation refuses. */
function emailish(): fc.Arbitrary<string> {
  const part = fc.string({
    unit: fc.constantFrom('a', 'b', 'ü', ' ', '"', '.', '@', '\\', '-', '+', "'", 'é', '<', '>'),
    minLength: 1,
    maxLength: 8,
  });
  return fc
    .tuple(part, fc.constantFrom('@', '@@', ' @', '@ '), part, fc.constantFrom('', '.com', '.de', '.'))
    .map((t) => t.join(''));
}

function stringsOf(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(stringsOf);
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => [k, ...stringsOf(x)]);
  return [];
}
