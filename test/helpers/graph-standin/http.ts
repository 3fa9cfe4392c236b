/** Reading requests and writing replies the way Graph does (headers, content types). */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Reply } from './errors.js';

export const GRAPH_CONTENT_TYPE =
  'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';

/** One request header (the first, if repeated). */
export function headerOf(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function send(res: ServerResponse, reply: Reply, clientRequestId: string | undefined): void {
  const text = JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'content-type': reply.status < 300 ? GRAPH_CONTENT_TYPE : 'application/json',
    'request-id': randomUUID(),
    'client-request-id': clientRequestId ?? randomUUID(),
    'odata-version': '4.0',
    'content-length': Buffer.byteLength(text),
    ...reply.headers,
  });
  res.end(text);
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
