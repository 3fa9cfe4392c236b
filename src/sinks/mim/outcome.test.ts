/** The classification table: status × content type × body × earlier attempts → outcome (DESIGN §5.9). */
import { describe, expect, it } from 'vitest';
import {
  classifyAnswer,
  describeAnswer,
  excerpt,
  outcomeOf,
  type ServerAnswer,
  type SuccessResponse,
  type UploadOutcome,
} from './outcome.js';

const JSON_OK = '{"result":"applied","added":1}';
const LOGIN = '<!DOCTYPE html><html><head><title>Sign in</title></head><body>Session expired</body></html>';

const res = (
  status: number,
  contentType = 'application/json',
  body = JSON_OK,
  location = '',
): ServerAnswer => ({
  kind: 'response',
  status,
  contentType,
  body,
  location,
});
const timeout: ServerAnswer = {
  kind: 'network',
  phase: 'after-send',
  reason: 'no answer in time (request timeout)',
};
const reset: ServerAnswer = { kind: 'network', phase: 'after-send', reason: 'ECONNRESET' };
const refused: ServerAnswer = { kind: 'network', phase: 'before-send', reason: 'ECONNREFUSED' };

type Case = [name: string, answers: ServerAnswer[], policy: SuccessResponse, outcome: UploadOutcome];

const CASES: Case[] = [
  // Confirmed
  ['200 JSON', [res(200)], 'not-html', 'applied'],
  ['204 empty body', [res(204, '', '')], 'not-html', 'applied'],
  ['200 text/plain OK', [res(200, 'text/plain', 'OK')], 'not-html', 'applied'],
  ['timeout, then 200 JSON', [timeout, res(200)], 'not-html', 'applied'],
  ['502, then 200 JSON', [res(502, 'text/html', '<h1>Bad Gateway</h1>'), res(200)], 'not-html', 'applied'],
  ['200 JSON under json', [res(200, 'application/json; charset=utf-8')], 'json', 'applied'],
  ['200 problem+json under json', [res(200, 'application/problem+json', '{}')], 'json', 'applied'],
  ['200 HTML under any-2xx (unsafe)', [res(200, 'text/html', LOGIN)], 'any-2xx', 'applied'],
  // A 2xx that is not MIM's API
  ['200 text/html login page', [res(200, 'text/html; charset=utf-8', LOGIN)], 'not-html', 'unknown'],
  ['200 TEXT/HTML upper case', [res(200, 'TEXT/HTML', 'hello')], 'not-html', 'unknown'],
  ['200 xhtml', [res(200, 'application/xhtml+xml', 'x')], 'not-html', 'unknown'],
  ['200 text/plain starting <!DOCTYPE', [res(200, 'text/plain', LOGIN)], 'not-html', 'unknown'],
  ['200 JSON type, body starts with <', [res(200, 'application/json', ' <html>')], 'not-html', 'unknown'],
  ['200 BOM then <', [res(200, 'text/plain', '\uFEFF<p>hi</p>')], 'not-html', 'unknown'],
  ['200 with <html inside', [res(200, 'text/plain', 'Please log in: <html lang=en>')], 'not-html', 'unknown'],
  ['200 text/plain under json', [res(200, 'text/plain', JSON_OK)], 'json', 'unknown'],
  ['200 JSON type, not JSON, under json', [res(200, 'application/json', 'OK')], 'json', 'unknown'],
  ['200 no content type under json', [res(200, '', JSON_OK)], 'json', 'unknown'],
  // Redirects are never success and never proof
  ['302 to a login URL', [res(302, 'text/plain', 'Found', '/login')], 'not-html', 'unknown'],
  ['303 (post-redirect-get may follow an apply)', [res(303, '', '', '/done')], 'not-html', 'unknown'],
  // First-attempt refusals prove nothing was applied
  ['401 first', [res(401)], 'not-html', 'not-applied'],
  ['403 first', [res(403)], 'not-html', 'not-applied'],
  ['404 first', [res(404)], 'not-html', 'not-applied'],
  ['400 first', [res(400)], 'not-html', 'not-applied'],
  ['422 first', [res(422)], 'not-html', 'not-applied'],
  ['413 first', [res(413)], 'not-html', 'not-applied'],
  ['429 ×4', [res(429), res(429), res(429), res(429)], 'not-html', 'not-applied'],
  ['refused ×4', [refused, refused, refused, refused], 'not-html', 'not-applied'],
  ['refused, then 401', [refused, res(401)], 'not-html', 'not-applied'],
  ['429, then 422', [res(429), res(422)], 'not-html', 'not-applied'],
  // …but not after an attempt that may have been applied
  ['timeout, then 302', [timeout, res(302, '', '', '/login')], 'not-html', 'unknown'],
  ['timeout, then 400', [timeout, res(400)], 'not-html', 'unknown'],
  ['reset, then 401', [reset, res(401)], 'not-html', 'unknown'],
  ['504, then 403', [res(504, 'text/html', '<h1>504</h1>'), res(403)], 'not-html', 'unknown'],
  ['login 200, then 422', [res(200, 'text/html', LOGIN), res(422)], 'not-html', 'unknown'],
  ['timeout, then 404', [timeout, res(404)], 'not-html', 'unknown'],
  ['refused, timeout, refused', [refused, timeout, refused], 'not-html', 'unknown'],
  // 5xx and 408 prove nothing (a proxy may answer after MIM applied)
  ['500 JSON ×4', [res(500), res(500), res(500), res(500)], 'not-html', 'unknown'],
  ['502 HTML', [res(502, 'text/html', '<h1>Bad Gateway</h1>')], 'not-html', 'unknown'],
  ['408', [res(408)], 'not-html', 'unknown'],
  ['409 (unexpected 4xx, not proof)', [res(409)], 'not-html', 'unknown'],
  ['timeout ×4', [timeout, timeout, timeout, timeout], 'not-html', 'unknown'],
];

describe('outcomeOf', () => {
  it.each(CASES)('%s → %s… is %s', (_name, answers, policy, expected) => {
    expect(outcomeOf(answers, policy)).toBe(expected);
  });
});

describe('classifyAnswer', () => {
  it.each([
    [timeout, true, 'maybe-applied'],
    [refused, true, 'not-applied'],
    [res(408), true, 'maybe-applied'],
    [res(429), true, 'not-applied'],
    [res(503), true, 'maybe-applied'],
    [res(302, '', '', '/login'), false, 'maybe-applied'],
    [res(200, 'text/html', LOGIN), false, 'maybe-applied'],
    [res(401), false, 'not-applied'],
    [res(422), false, 'not-applied'],
    [res(409), false, 'maybe-applied'],
  ] as const)('%j: retryable %s, %s', (answer, retryable, proof) => {
    expect(classifyAnswer(answer, 'not-html')).toMatchObject({ retryable, proof });
  });
});

describe('describeAnswer', () => {
  it('reports a non-API 2xx with status, media type and the first ~200 characters, tags stripped', () => {
    const page = `<html><head><style>p{}</style><title>Sign in</title></head><body>${'x'.repeat(400)}</body></html>`;
    const text = describeAnswer(res(200, 'text/html; charset=utf-8', page));
    expect(text).toMatch(/^HTTP 200 text\/html: Sign in x+…$/);
    expect(text).not.toMatch(/[<>]|p\{\}/);
    expect(text.length).toBeLessThanOrEqual('HTTP 200 text/html: '.length + 201);
  });

  it('names a redirect target without its query string', () => {
    expect(describeAnswer(res(302, '', '', 'https://sso.example/login?ticket=abc#x'))).toBe(
      'HTTP 302 redirect to https://sso.example/login (not followed)',
    );
    expect(describeAnswer(res(302, '', '', '/login?next=%2F'))).toBe(
      'HTTP 302 redirect to /login (not followed)',
    );
    expect(describeAnswer(res(301, '', ''))).toBe('HTTP 301 redirect to no Location header (not followed)');
  });

  it('replaces a secret echoed in a body', () => {
    expect(excerpt('Authorization: Bearer s3cr3t', ['s3cr3t'])).toBe('Authorization: Bearer ***');
  });
});
