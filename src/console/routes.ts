/**
 * The web console's HTTP side, served by the admin listener (daemon/http.ts hands it every request
 * for `/` and `/console/…`, after the listener's own Host check).
 *
 * Who may do what: with `admin.token`, every page wants a session (opened by logging in with the
 * token) or `Authorization: Bearer <token>`; without one (loopback-only listener) the console is
 * read-only plus Run now, and approving is refused — any local user could otherwise approve deletes.
 * Every POST from a browser must come from this listener's own origin (Origin, Sec-Fetch-Site) and
 * echo the CSRF token of its session; a Bearer request cannot be forged by a web page and needs no
 * CSRF token. Every response carries a strict CSP and no-store; no secret ever goes in a URL.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { scrubSecrets } from '../core/secrets.js';
import type { ApproveResult } from '../run/approve-plan.js';
import { describeTarget } from '../state/baseline.js';
import { PLAN_SECTIONS, type PlanSection, RUN_ID } from '../state/plan-log.js';
import type { Logger } from '../telemetry/logger.js';
import { CONSOLE_CSS } from './assets.js';
import { type SafeHtml, toText } from './html.js';
import {
  CSS_PATH,
  errorPage,
  isNotice,
  jobHref,
  jobPage,
  jobsPage,
  loginPage,
  type NoticeName,
  planPage,
  type Viewer,
} from './pages.js';
import {
  clearedCookie,
  LoginThrottle,
  SessionStore,
  sameSecret,
  sessionCookie,
  sessionIdFrom,
} from './session.js';
import type { ConsoleData, RunNowResult } from './types.js';

export const PAGE_SIZE = 100;
const MAX_FORM_BYTES = 8 * 1024;

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

type Auth =
  | { readonly kind: 'session'; readonly id: string; readonly viewer: Viewer }
  | { readonly kind: 'bearer'; readonly viewer: Viewer }
  | { readonly kind: 'anonymous'; readonly viewer: Viewer }
  | { readonly kind: 'none' };

export interface Console {
  serve(req: IncomingMessage, res: ServerResponse, url: URL, token: string): Promise<void>;
  /** Open sessions (for tests and /status, never their ids). */
  readonly sessions: number;
}

function send(
  res: ServerResponse,
  status: number,
  page: SafeHtml,
  headers: Record<string, string> = {},
): void {
  // Every body passes the scrubber: error texts may quote a MIM answer or a URL with credentials.
  const text = scrubSecrets(toText(page));
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function redirect(res: ServerResponse, location: string, headers: Record<string, string> = {}): void {
  res.writeHead(303, {
    ...SECURITY_HEADERS,
    'cache-control': 'no-store',
    location,
    'content-length': 0,
    ...headers,
  });
  res.end();
}

function bearerToken(header: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];
}

/** The form fields of a urlencoded POST body (at most MAX_FORM_BYTES), or why not. */
async function readForm(req: IncomingMessage): Promise<URLSearchParams | 'too-large' | 'bad-type'> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') return 'bad-type';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_FORM_BYTES) return 'too-large';
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/**
 * A browser's POST must come from a page of this listener: Origin equal to this origin (a browser
 * sends it with every POST), and Sec-Fetch-Site, when sent, same-origin.
 */
function sameOrigin(req: IncomingMessage, required: boolean): boolean {
  // A browser attests where a request comes from in Sec-Fetch-Site, which no page can set. It also
  // holds behind a TLS-terminating reverse proxy, where Origin says https://<public name> while the
  // Host header may be the proxy's upstream address. Our pages' no-referrer policy makes Chromium
  // send `Origin: null` on their own form POSTs, so Origin alone would refuse them.
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined) return site === 'same-origin';
  // A browser without Fetch Metadata: the Origin must name this host (http, or https via a proxy).
  const origin = req.headers.origin;
  if (origin === undefined) return !required;
  const host = req.headers.host;
  return host !== undefined && (origin === `http://${host}` || origin === `https://${host}`);
}

function decodeSegment(s: string): string | null {
  try {
    const v = decodeURIComponent(s);
    return v.includes('\0') ? null : v;
  } catch {
    return null;
  }
}

const JOB_PATH = /^\/console\/jobs\/([^/]+)(?:\/(approve|run)|\/runs\/([^/]+))?\/?$/;

function approveRefusal(r: Exclude<ApproveResult, { kind: 'approved' }>, planId: string): string {
  switch (r.kind) {
    case 'none-blocked':
      return 'This job has no blocked plan waiting for approval: a run may have pushed or replaced it. Nothing was approved.';
    case 'other-target':
      return `The blocked plan ${r.blocked.planId} was computed for ${describeTarget(r.blocked.target)}, but the config now points at ${describeTarget(r.target)}. Run the job for a plan for this target; nothing was approved.`;
    case 'other-plan':
      return `Plan ${planId} is not the blocked plan (${r.blocked.planId}): the source changed since the page was shown. Review the current plan; nothing was approved.`;
    case 'stale':
      return `Plan ${planId} was last computed at ${r.seenAt}, more than guard.approvalTtlHours = ${r.ttlHours} h ago; the directory may have changed since. Run the job, review the new plan and approve that.`;
  }
}

const RUN_REFUSALS: Partial<Record<RunNowResult, string>> = {
  stopping: 'The daemon is stopping and takes no new runs.',
  standby: 'This daemon is on standby: the active daemon on this state directory runs the jobs.',
};

/** `throttle`: wrong tokens per address, shared with the listener's Bearer check (daemon/http.ts). */
export function createConsole(
  data: ConsoleData,
  log: Logger,
  throttle: LoginThrottle = new LoginThrottle(),
): Console {
  const sessions = new SessionStore();
  // Without a token there is no session: the forms carry this listener's own CSRF token.
  const anonCsrf = randomBytes(32).toString('base64url');

  const authenticate = (req: IncomingMessage, token: string): Auth => {
    if (!token) return { kind: 'anonymous', viewer: { csrf: anonCsrf, session: false, canApprove: false } };
    const id = sessionIdFrom(req.headers.cookie);
    const s = sessions.get(id, token);
    if (s && id) return { kind: 'session', id, viewer: { csrf: s.csrf, session: true, canApprove: true } };
    const bearer = bearerToken(req.headers.authorization);
    if (bearer !== undefined && sameSecret(bearer, token))
      return { kind: 'bearer', viewer: { csrf: '', session: false, canApprove: true } };
    return { kind: 'none' };
  };

  /** Refuses a POST that a web page of another origin could have sent; null when it may go on. */
  const postRefusal = (req: IncomingMessage, auth: Auth, form: URLSearchParams): string | null => {
    if (auth.kind === 'none') return 'log in first';
    if (!sameOrigin(req, auth.kind !== 'bearer'))
      return 'the request did not come from a page of this console';
    if (auth.kind === 'bearer') return null;
    return sameSecret(form.get('csrf') ?? '', auth.viewer.csrf)
      ? null
      : 'the form is out of date or came from elsewhere (CSRF token): reload the page and try again';
  };

  const jobView = async (
    res: ServerResponse,
    name: string,
    viewer: Viewer,
    status: number,
    notice: NoticeName | null,
    error: string | null,
  ): Promise<void> => {
    const job = await data.job(name);
    if (!job)
      return send(res, 404, errorPage(404, 'No such job', `There is no job named "${name}".`, viewer));
    send(res, status, jobPage(job, viewer, notice, error));
  };

  const login = async (req: IncomingMessage, res: ServerResponse, token: string): Promise<void> => {
    if (!token) return redirect(res, '/console/');
    if (!sameOrigin(req, true))
      return send(
        res,
        403,
        errorPage(403, 'Refused', 'The login did not come from this console’s page.', null),
      );
    const from = req.socket.remoteAddress ?? '';
    const waitMs = throttle.waitMs(from);
    if (waitMs > 0) {
      const minutes = Math.ceil(waitMs / 60_000);
      log.warn({ from }, 'Console login refused: too many wrong tokens from this address');
      return send(
        res,
        429,
        loginPage(
          `Too many wrong tokens from this address: try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
        ),
        { 'retry-after': String(Math.ceil(waitMs / 1000)) },
      );
    }
    const form = await readForm(req);
    const typed = typeof form === 'string' ? '' : (form.get('token') ?? '');
    if (!typed || !sameSecret(typed, token)) {
      throttle.failed(from);
      log.warn({ from }, 'Console login refused: wrong token');
      return send(res, 401, loginPage('That is not the admin token (admin.token).'));
    }
    throttle.succeeded(from);
    const { id } = sessions.open(token);
    log.info({ from: req.socket.remoteAddress }, 'Console login');
    redirect(res, '/console/', { 'set-cookie': sessionCookie(id) });
  };

  const post = async (
    req: IncomingMessage,
    res: ServerResponse,
    auth: Exclude<Auth, { kind: 'none' }>,
    job: string,
    action: 'approve' | 'run',
    form: URLSearchParams,
  ): Promise<void> => {
    const { viewer } = auth;
    if (action === 'run') {
      const result = data.runNow(job);
      if (result === 'unknown-job')
        return send(res, 404, errorPage(404, 'No such job', `There is no job named "${job}".`, viewer));
      const refusal = RUN_REFUSALS[result];
      if (refusal) return jobView(res, job, viewer, 503, null, refusal);
      log.info({ job, result, from: req.socket.remoteAddress }, 'Run asked from the console');
      return redirect(res, `${jobHref(job)}?notice=${result === 'started' ? 'run-started' : 'run-queued'}`);
    }
    if (!viewer.canApprove)
      return jobView(
        res,
        job,
        viewer,
        403,
        null,
        'Approving from the browser is off: set admin.token to approve from the browser (or use `mobileid-sync approve`).',
      );
    const planId = form.get('planId') ?? '';
    const by = `console (admin token) from ${req.socket.remoteAddress ?? 'an unknown address'}`;
    const result = await data.approve(job, planId, by);
    if (result === 'unknown-job')
      return send(res, 404, errorPage(404, 'No such job', `There is no job named "${job}".`, viewer));
    if (result.kind !== 'approved') {
      log.warn({ job, planId, refused: result.kind }, 'Console approval refused');
      return jobView(res, job, viewer, 409, null, approveRefusal(result, planId));
    }
    log.warn(
      { job, planId, by: result.approval.by, expiresAt: result.approval.expiresAt },
      'Plan approved from the console',
    );
    redirect(res, `${jobHref(job)}?notice=approved`);
  };

  const serve = async (req: IncomingMessage, res: ServerResponse, url: URL, token: string): Promise<void> => {
    const method = req.method ?? 'GET';
    const read = method === 'GET' || method === 'HEAD';
    const path = url.pathname;
    if (path === '/' || path === '/console') {
      if (!read)
        return send(res, 405, errorPage(405, 'Not allowed', 'Use GET.', null), { allow: 'GET, HEAD' });
      return redirect(res, '/console/');
    }
    if (path === CSS_PATH) {
      res.writeHead(200, {
        ...SECURITY_HEADERS,
        'content-type': 'text/css; charset=utf-8',
        'cache-control': 'public, max-age=86400',
        'content-length': Buffer.byteLength(CONSOLE_CSS),
      });
      return void res.end(CONSOLE_CSS);
    }
    if (path === '/console/login') {
      if (method === 'POST') return login(req, res, token);
      if (!read)
        return send(res, 405, errorPage(405, 'Not allowed', 'Use GET or POST.', null), {
          allow: 'GET, POST',
        });
      if (!token || authenticate(req, token).kind === 'session') return redirect(res, '/console/');
      const notice = url.searchParams.get('notice');
      return send(res, 200, loginPage(null, isNotice(notice) ? notice : null));
    }

    // The URL parser resolves `..` and `%2e%2e` segments; a path that had one is refused, not resolved.
    if (/(^|\/)(\.|%2e){2}(\/|$)/i.test((req.url ?? '').split('?')[0] ?? ''))
      return send(res, 404, errorPage(404, 'Not found', 'There is no such page.', null));
    const auth = authenticate(req, token);
    // A wrong Bearer token counts as a wrong login: guessing through the header is throttled too.
    if (auth.kind === 'none' && bearerToken(req.headers.authorization) !== undefined) {
      const from = req.socket.remoteAddress ?? '';
      if (throttle.waitMs(from) > 0)
        return send(res, 429, errorPage(429, 'Too many wrong tokens', 'Try again later.', null));
      throttle.failed(from);
      return send(res, 401, errorPage(401, 'Refused', 'That is not the admin token (admin.token).', null));
    }
    if (path === '/console/logout') {
      if (method !== 'POST')
        return send(res, 405, errorPage(405, 'Not allowed', 'Use POST.', null), { allow: 'POST' });
      const form = await readForm(req);
      if (auth.kind === 'session') {
        const refusal = postRefusal(req, auth, typeof form === 'string' ? new URLSearchParams() : form);
        if (refusal) return send(res, 403, errorPage(403, 'Refused', refusal, auth.viewer));
        sessions.close(auth.id);
      }
      return redirect(res, token ? '/console/login?notice=logged-out' : '/console/', {
        'set-cookie': clearedCookie(),
      });
    }
    if (auth.kind === 'none') {
      if (read) return redirect(res, '/console/login');
      return send(res, 401, loginPage('Log in first.'));
    }
    const { viewer } = auth;

    if (path === '/console/') {
      if (!read)
        return send(res, 405, errorPage(405, 'Not allowed', 'Use GET.', viewer), { allow: 'GET, HEAD' });
      return send(res, 200, jobsPage(await data.jobs(), viewer));
    }
    const m = JOB_PATH.exec(path);
    const job = m?.[1] === undefined ? null : decodeSegment(m[1]);
    if (!m || job === null || !data.jobNames().includes(job))
      return send(res, 404, errorPage(404, 'Not found', 'There is no such page or job.', viewer));
    const action = m[2] as 'approve' | 'run' | undefined;
    if (action) {
      if (method !== 'POST')
        return send(res, 405, errorPage(405, 'Not allowed', 'Use POST.', viewer), { allow: 'POST' });
      const form = await readForm(req);
      if (form === 'too-large')
        return send(res, 413, errorPage(413, 'Too large', 'The form is too large.', viewer));
      const fields = form === 'bad-type' ? new URLSearchParams() : form;
      const refusal = postRefusal(req, auth, fields);
      if (refusal) {
        log.warn({ job, action, from: req.socket.remoteAddress, refusal }, 'Console POST refused');
        return send(res, 403, errorPage(403, 'Refused', `Refused: ${refusal}. Nothing was done.`, viewer));
      }
      return post(req, res, auth, job, action, fields);
    }
    if (!read)
      return send(res, 405, errorPage(405, 'Not allowed', 'Use GET.', viewer), { allow: 'GET, HEAD' });
    if (m[3] === undefined) {
      const notice = url.searchParams.get('notice');
      return jobView(res, job, viewer, 200, isNotice(notice) ? notice : null, null);
    }
    const runId = decodeSegment(m[3]);
    if (runId === null || !RUN_ID.test(runId))
      return send(res, 404, errorPage(404, 'Not found', 'That is not a run of this job.', viewer));
    const asked = url.searchParams.get('section');
    const section: PlanSection = PLAN_SECTIONS.find((s) => s === asked) ?? 'adds';
    const page = Number.parseInt(url.searchParams.get('page') ?? '1', 10);
    const plan = await data.plan(job, runId, section, Number.isSafeInteger(page) ? page : 1, PAGE_SIZE);
    return send(res, plan.kind === 'page' ? 200 : 404, planPage(job, runId, plan, viewer));
  };

  return {
    serve,
    get sessions() {
      return sessions.size;
    },
  };
}
