/**
 * Real receivers for the notification tests, on loopback: an SMTP server (smtp-server) with
 * STARTTLS and AUTH that keeps every message it accepts (decoded: subject, text, html), and a
 * node:http receiver that records each request and answers as the test scripts it (a status, or
 * never). Sample events are in notify-events.ts.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { expect } from 'vitest';
import { DeliveryError } from '../../src/notify/channels/delivery.js';

export interface ReceivedMail {
  readonly from: string;
  readonly to: readonly string[];
  readonly raw: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

export interface SmtpOptions {
  readonly cert: string;
  readonly key: string;
  readonly user: string;
  readonly password: string;
  /** Do not offer STARTTLS (a server a `starttls` client must refuse). */
  readonly hideStartTls?: boolean;
}

export interface TestSmtp {
  readonly port: number;
  readonly mails: ReceivedMail[];
  /** AUTH attempts refused. */
  readonly authFailures: () => number;
  close(): Promise<void>;
}

function decodeQuotedPrintable(s: string): string {
  const bytes: number[] = [];
  const text = s.replace(/=\r?\n/g, '');
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '=' && /^[0-9A-F]{2}$/i.test(text.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(text[i]!, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** RFC 2047 encoded words (=?UTF-8?Q?…?= / =?UTF-8?B?…?=) in a header. */
function decodeHeader(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?utf-8\?([QB])\?([^?]*)\?=/gi, (_m, enc: string, data: string) =>
      enc.toUpperCase() === 'B'
        ? Buffer.from(data, 'base64').toString('utf8')
        : decodeQuotedPrintable(data.replace(/_/g, ' ')),
    );
}

function splitHead(part: string): { headers: Map<string, string>; body: string } {
  const at = part.search(/\r?\n\r?\n/);
  const head = at < 0 ? part : part.slice(0, at);
  const body = at < 0 ? '' : part.slice(at).replace(/^\r?\n\r?\n/, '');
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body };
}

function decodeBody(headers: Map<string, string>, body: string): string {
  const enc = (headers.get('content-transfer-encoding') ?? '').toLowerCase();
  if (enc === 'quoted-printable') return decodeQuotedPrintable(body);
  if (enc === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return body;
}

/** Subject, text and HTML of a message as nodemailer writes it (single part or multipart/alternative). */
export function parseMail(raw: string): { subject: string; text: string; html: string } {
  const { headers, body } = splitHead(raw);
  const subject = decodeHeader(headers.get('subject') ?? '');
  const type = headers.get('content-type') ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  const out = { subject, text: '', html: '' };
  const parts = boundary ? body.split(`--${boundary}`).slice(1, -1) : [raw];
  for (const p of parts) {
    const part = splitHead(p.replace(/^\r?\n/, ''));
    const t = part.headers.get('content-type') ?? '';
    if (t.startsWith('text/plain')) out.text = decodeBody(part.headers, part.body);
    else if (t.startsWith('text/html')) out.html = decodeBody(part.headers, part.body);
  }
  return out;
}

export async function startSmtp(options: SmtpOptions): Promise<TestSmtp> {
  const mails: ReceivedMail[] = [];
  let authFailures = 0;
  const server = new SMTPServer({
    secure: false,
    key: options.key,
    cert: options.cert,
    hideSTARTTLS: options.hideStartTls ?? false,
    authMethods: ['PLAIN', 'LOGIN'],
    disabledCommands: options.hideStartTls ? ['STARTTLS'] : [],
    allowInsecureAuth: false,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === options.user && auth.password === options.password)
        return callback(null, { user: auth.username });
      authFailures++;
      return callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          ...parseMail(raw),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    mails,
    authFailures: () => authFailures,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface ReceivedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** How the receiver answers request n (0-based): a status (and body), or 'hang' (never answers). */
export type Answer =
  | { readonly status: number; readonly body?: string; readonly headers?: Record<string, string> }
  | 'hang';

export interface TestReceiver {
  /** Base URL (http://127.0.0.1:port); requests to any path are recorded. */
  readonly url: string;
  readonly requests: ReceivedRequest[];
  close(): Promise<void>;
}

export async function startReceiver(
  answer: (n: number, req: ReceivedRequest) => Answer = () => ({ status: 200 }),
): Promise<TestReceiver> {
  const requests: ReceivedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: ReceivedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(r);
      const a = answer(requests.length - 1, r);
      if (a === 'hang') return;
      res.writeHead(a.status, { 'content-type': 'text/plain', ...a.headers });
      res.end(a.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The DeliveryError a send rejects with (fails the test when it resolves or rejects otherwise). */
export async function deliveryFailure(p: Promise<unknown>): Promise<DeliveryError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(DeliveryError);
  return e as DeliveryError;
}
