/**
 * Turns sign-in (AADSTS) and Graph failures into plain-words SyncErrors: credential and permission
 * problems are ConfigErrors (retrying will not help), outages are SourceUnavailableErrors. Used by
 * both `check` and `fetch`, so an admin reads the same sentence in both.
 */
import { ConfigError, SourceUnavailableError, type SyncError } from '../../core/errors.js';
import { isTlsTrustError, networkCode } from './http.js';

export interface ExplainContext {
  readonly tenantId: string;
  readonly clientId: string;
  readonly authorityHost: string;
  readonly graphBaseUrl: string;
}

const PORTAL = 'Entra admin center › App registrations › (your app)';
const OUTAGE_FIX =
  'Nothing to change if it passes by: the next run tries again, and nobody is deleted meanwhile. If it persists, check the network path (proxy, firewall) and https://status.cloud.microsoft.';

/** The first line of an AADSTS description (the rest is trace ids and a timestamp). */
function firstLine(text: string): string {
  return text.split(/\r?\n/)[0]?.trim() ?? '';
}

interface StsBody {
  readonly error?: unknown;
  readonly error_description?: unknown;
  readonly error_codes?: unknown;
}

/** The AADSTS code of a token endpoint's error body (`error_codes[0]`, else the description's). */
export function stsErrorCode(bodyText: string): number | undefined {
  let body: StsBody = {};
  try {
    body = JSON.parse(bodyText) as StsBody;
  } catch {
    return undefined;
  }
  const description = typeof body.error_description === 'string' ? body.error_description : '';
  const listed = Array.isArray(body.error_codes) ? Number(body.error_codes[0]) : Number.NaN;
  const code = Number.isFinite(listed) ? listed : Number(/AADSTS(\d+)/.exec(description)?.[1] ?? Number.NaN);
  return Number.isFinite(code) ? code : undefined;
}

/** A failed token request: `status` 0 means no HTTP answer (`cause` holds the network error). */
export function explainTokenFailure(
  ctx: ExplainContext,
  place: string,
  status: number,
  bodyText: string,
  attempts: number,
  cause?: unknown,
): SyncError {
  if (status === 0) return explainNetwork(place, ctx.authorityHost, attempts, cause);
  let body: StsBody = {};
  try {
    body = JSON.parse(bodyText) as StsBody;
  } catch {
    // Not JSON (a proxy page); handled below by status.
  }
  const description = typeof body.error_description === 'string' ? firstLine(body.error_description) : '';
  const code = stsErrorCode(bodyText);
  const app = `app ${ctx.clientId}`;
  const c = (message: string, fix: string): ConfigError => new ConfigError(message, { place, fix });
  switch (code) {
    case 7000215:
      return c(
        `Entra ID rejected the client secret of ${app} (AADSTS7000215: invalid client secret)`,
        `Put the secret's Value (shown once when it is created), not its Secret ID, into clientSecret or clientSecretFile: ${PORTAL} › Certificates & secrets.`,
      );
    case 7000222:
      return c(
        `The client secret of ${app} has expired (AADSTS7000222)`,
        `Create a new client secret in ${PORTAL} › Certificates & secrets, put its Value into clientSecret or clientSecretFile, then delete the expired one.`,
      );
    case 700016:
      return c(
        `Entra ID does not know ${app} in tenant ${ctx.tenantId} (AADSTS700016: application not found)`,
        "Check clientId (the Application (client) ID on the app's Overview page) and tenantId; an app registered in another tenant must first be consented to in this one.",
      );
    case 90002:
      return c(
        `Tenant ${ctx.tenantId} does not exist at ${ctx.authorityHost} (AADSTS90002: tenant not found)`,
        'Check tenantId (the Directory (tenant) ID, or a verified domain); for a national cloud set authorityHost and graphBaseUrl to that cloud.',
      );
    case 700027:
      return c(
        `Entra ID did not accept the certificate of ${app} (AADSTS700027: certificate not registered or signature invalid)`,
        `Upload the certificate in certificateFile (its public part) to ${PORTAL} › Certificates & secrets › Certificates, or point certificateFile at the certificate already uploaded there.`,
      );
    case 700024:
      return c(
        'Entra ID says the signed client assertion is outside its valid time (AADSTS700024)',
        "Check this machine's clock (NTP): the assertion is valid for 10 minutes from now.",
      );
    case 70011:
      return c(
        `Entra ID rejected the scope ${ctx.graphBaseUrl}/.default (AADSTS70011)`,
        'Set graphBaseUrl to the Graph root of the same cloud as authorityHost (global: https://graph.microsoft.com).',
      );
  }
  if (status === 429 || status >= 500) {
    return new SourceUnavailableError(
      `Entra ID sign-in kept failing (HTTP ${status}${description ? `: ${description}` : ''}) after ${attempts} ${attempts === 1 ? 'try' : 'tries'}`,
      { place, fix: OUTAGE_FIX },
    );
  }
  const what = description || `HTTP ${status}${typeof body.error === 'string' ? ` ${body.error}` : ''}`;
  return c(
    `Entra ID refused to sign in ${app}: ${what}`,
    'Check tenantId, clientId and the secret or certificate against the app registration; look the AADSTS code up at https://login.microsoftonline.com/error.',
  );
}

/** A Graph answer that stayed an error. `what` says what was being read ("users", "group Staff"). */
export function explainGraphFailure(
  ctx: ExplainContext,
  place: string,
  what: string,
  status: number,
  code: string,
  message: string,
  attempts: number,
): SyncError {
  const detail = `${status}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}`;
  if (status === 403) {
    return new ConfigError(
      `App ${ctx.clientId} may not read ${what} (${detail}) — admin consent is missing`,
      {
        place,
        fix: `In ${PORTAL} › API permissions add the Microsoft Graph *Application* permissions User.Read.All (and GroupMember.Read.All when groups are set), then click "Grant admin consent".`,
      },
    );
  }
  if (status === 401) {
    return new ConfigError(`Microsoft Graph refused the access token while reading ${what} (${detail})`, {
      place,
      fix: 'authorityHost and graphBaseUrl must belong to the same cloud (global: login.microsoftonline.com with graph.microsoft.com).',
    });
  }
  if (status === 404 && code === 'Request_ResourceNotFound') {
    return new ConfigError(`${what} does not exist in tenant ${ctx.tenantId}`, {
      place,
      fix: "Check `groups`: use the group's Object ID from Entra admin center › Groups, or its exact display name.",
    });
  }
  if (status === 400) {
    // Graph filters each property only with the operators Microsoft's table lists for it.
    const clause = /filter clause specified for property '([^']+)'/.exec(message)?.[1];
    return new ConfigError(`Microsoft Graph rejected the query for ${what} (${detail})`, {
      place,
      fix: clause
        ? `Graph cannot filter ${clause} this way: change \`filter\` to an operator Microsoft lists for that property (extension attributes and directory extensions take only eq and ne; startsWith works on e.g. givenName, mail, employeeId), or drop the filter and scope by groups.`
        : 'Check `filter` (OData syntax; string values in single quotes) and the map.* property names.',
    });
  }
  return new SourceUnavailableError(
    `Microsoft Graph kept failing while reading ${what} (${detail}) after ${attempts} ${attempts === 1 ? 'try' : 'tries'}; nothing was read`,
    { place, fix: OUTAGE_FIX },
  );
}

/** No HTTP answer at all: TLS trust (config) or the network (outage). */
export function explainNetwork(place: string, origin: string, attempts: number, cause: unknown): SyncError {
  const code = networkCode(cause);
  if (isTlsTrustError(cause)) {
    return new ConfigError(`The TLS certificate of ${origin} is not trusted (${code})`, {
      place,
      fix: 'If a proxy inspects TLS, put its CA certificate into caFile; otherwise check the system clock and the host name.',
      cause,
    });
  }
  return new SourceUnavailableError(
    `Cannot reach ${origin} (${code}) after ${attempts} ${attempts === 1 ? 'try' : 'tries'}; nothing was read`,
    { place, fix: OUTAGE_FIX, cause },
  );
}
