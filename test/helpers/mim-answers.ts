/**
 * fast-check arbitraries of what can come back for one MIM upload attempt (status, headers, body,
 * or a network failure before/after the body was sent), for the fuzzers of issue #10: feed
 * sequences to `outcomeOf` and assert that no sequence with an attempt that may have been applied
 * ever yields 'not-applied' (see `mayHaveApplied`, an independent, deliberately blunt oracle).
 */
import fc from 'fast-check';
import type { ServerAnswer, SuccessResponse } from '../../src/sinks/mim/outcome.js';

export { classifyAnswer, outcomeOf } from '../../src/sinks/mim/outcome.js';

const STATUSES = [
  200, 201, 202, 204, 301, 302, 303, 307, 308, 400, 401, 403, 404, 405, 408, 409, 413, 415, 422, 429, 500,
  502, 503, 504,
];

const CONTENT_TYPES = [
  '',
  'application/json',
  'application/json; charset=utf-8',
  'application/problem+json',
  'text/html',
  'TEXT/HTML; charset=UTF-8',
  'application/xhtml+xml',
  'text/plain',
  'text/plain; charset=utf-8',
  'text/csv',
];

const BODIES = [
  '',
  '{"result":"applied","added":2,"updated":0,"deleted":0}',
  '{"result":"rejected","errors":[{"line":1,"message":"E-mail address invalid"}]}',
  'OK',
  '<!DOCTYPE html><html><head><title>Sign in</title></head><body>Session expired</body></html>',
  '  <html><body>Login</body></html>',
  '\uFEFF<html>',
  '<?xml version="1.0"?><error/>',
  'Redirecting to <a href="/login">/login</a>. <html>',
  '502 Bad Gateway',
];

export const arbStatus = fc.oneof(fc.constantFrom(...STATUSES), fc.integer({ min: 100, max: 599 }));

export const arbResponse: fc.Arbitrary<ServerAnswer> = fc.record({
  kind: fc.constant('response' as const),
  status: arbStatus,
  contentType: fc.constantFrom(...CONTENT_TYPES),
  body: fc.oneof(fc.constantFrom(...BODIES), fc.string({ maxLength: 300 })),
  location: fc.constantFrom('', '/login?next=%2Fapi', 'https://sso.example.net/login?session=x', '::bad::'),
});

export const arbNetwork: fc.Arbitrary<ServerAnswer> = fc.record({
  kind: fc.constant('network' as const),
  phase: fc.constantFrom('before-send' as const, 'after-send' as const),
  reason: fc.constantFrom(
    'ECONNREFUSED',
    'ECONNRESET',
    'UND_ERR_SOCKET',
    'no answer in time (request timeout)',
  ),
});

export const arbServerAnswer: fc.Arbitrary<ServerAnswer> = fc.oneof(arbResponse, arbNetwork);

/** The answers of one push: 1–8 attempts. */
export const arbAnswerSequence = fc.array(arbServerAnswer, { minLength: 1, maxLength: 8 });

export const arbSuccessPolicy: fc.Arbitrary<SuccessResponse> = fc.constantFrom('not-html', 'json', 'any-2xx');

/**
 * Independent oracle: could this attempt have been applied by MIM? Only a connection that never
 * carried the request, or a 4xx other than 408, says no; everything else (2xx of any kind, 3xx,
 * 408, 5xx, a network failure after sending) may follow an applied upload.
 */
export function mayHaveApplied(a: ServerAnswer): boolean {
  if (a.kind === 'network') return a.phase === 'after-send';
  return a.status < 400 || a.status >= 500 || a.status === 408;
}
