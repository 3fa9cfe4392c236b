/**
 * Graph's and the STS's error bodies (graph.md §8), and the `Reply` every handler returns — or
 * throws, from deep inside a query check, to be answered as is.
 */
import { randomUUID } from 'node:crypto';

export class Reply {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {}
}

/** Graph's error code for a status the fault injection sends without one. */
export const STATUS_CODES: Readonly<Record<number, string>> = {
  429: 'TooManyRequests',
  500: 'InternalServerError',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
  504: 'GatewayTimeout',
};

function innerError(): Record<string, string> {
  return {
    date: new Date().toISOString().slice(0, 19),
    'request-id': randomUUID(),
    'client-request-id': randomUUID(),
  };
}

/** A Graph error: `{ error: { code, message, innerError } }`. */
export function graphError(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): Reply {
  return new Reply(status, { error: { code, message, innerError: innerError() } }, headers);
}

/** The app lacks the permission the route needs. */
export function denied(): Reply {
  return graphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
}

/** Graph's message for an operator served only as an advanced query. */
export function advancedMessage(op: string): string {
  return `Operator '${op}' is not supported because the required parameters might be missing. Try adding $count=true query parameter and ConsistencyLevel:eventual header. Refer to https://aka.ms/graph-docs/advanced-queries for more information`;
}

/** An advanced query sent without `ConsistencyLevel: eventual` and `$count=true`. */
export function advancedMissing(op: string): Reply {
  return graphError(400, 'Request_UnsupportedQuery', advancedMessage(op));
}

/** An STS (AADSTS) error in the v2.0 endpoint's shape. */
export function stsError(status: number, error: string, code: number, description: string): Reply {
  const trace = randomUUID();
  const correlation = randomUUID();
  const timestamp = `${new Date().toISOString().replace('T', ' ').slice(0, 19)}Z`;
  return new Reply(status, {
    error,
    error_description: `${description}\r\nTrace ID: ${trace}\r\nCorrelation ID: ${correlation}\r\nTimestamp: ${timestamp}`,
    error_codes: [code],
    timestamp,
    trace_id: trace,
    correlation_id: correlation,
    error_uri: `https://login.microsoftonline.com/error?code=${code}`,
  });
}
