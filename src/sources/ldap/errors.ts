/**
 * Turns what ldapts, Node's net/tls and the directory report into one plain sentence and a fix.
 * Pure. Messages name the URL, DN and base, never the password.
 */
import { ConfigError, SourceUnavailableError } from '../../core/errors.js';

export type Stage = 'connect' | 'starttls' | 'bind' | 'search' | 'groups';

export interface FailureContext {
  readonly url: string;
  readonly stage: Stage;
  readonly bindDn?: string | undefined;
  /** The search base or group DN the operation was about. */
  readonly dn?: string | undefined;
  readonly ldaps?: boolean | undefined;
  readonly entriesSoFar?: number | undefined;
  /** The config key `dn` came from (`sources[x].baseDns`): a missing DN is then a config error there. */
  readonly key?: string | undefined;
}

export interface Described {
  readonly message: string;
  readonly fix: string;
  /** True when another server of the list might do better (unreachable, TLS, busy). */
  readonly tryNext: boolean;
  /**
   * A configuration problem, not an outage: the server refused our credentials, or a configured
   * DN does not exist. No retry helps, so it is a ConfigError (exit 78).
   */
  readonly config?: boolean;
}

/** AD's sub-codes in "80090308: LdapErr: DSID-…, comment: AcceptSecurityContext error, data 52e, v…". */
const AD_BIND_CODES: Readonly<Record<string, { what: string; fix: string }>> = {
  '525': {
    what: 'the account does not exist',
    fix: 'Check bindDn (AD also accepts "user@domain" or "DOMAIN\\user").',
  },
  '52e': {
    what: 'the password is wrong',
    fix: 'Set the current password of the bind account in bindPassword / bindPasswordFile.',
  },
  '530': {
    what: 'the account may not log on at this time',
    fix: 'Allow the bind account to log on at all hours (AD: Logon Hours).',
  },
  '531': {
    what: 'the account may not log on from this computer',
    fix: 'Remove the workstation restriction of the bind account (AD: Log On To…).',
  },
  '532': {
    what: 'the password has expired',
    fix: 'Set a new password for the bind account (and consider "password never expires" for service accounts).',
  },
  '533': { what: 'the account is disabled', fix: 'Enable the bind account in AD.' },
  '568': {
    what: 'the account is in too many groups',
    fix: 'Use a bind account with fewer group memberships.',
  },
  '701': {
    what: 'the account has expired',
    fix: 'Extend the expiry date of the bind account (AD: Account expires).',
  },
  '773': {
    what: 'the password must be changed before the first logon',
    fix: 'Set a password for the bind account and untick "User must change password at next logon".',
  },
  '775': {
    what: 'the account is locked out',
    fix: 'Unlock the bind account; check bindPassword so repeated runs do not lock it again.',
  },
};

export function decodeAdBindError(text: string): { code: string; what: string; fix: string } | undefined {
  const m = /\bdata ([0-9a-f]{3,4})\b/i.exec(text);
  if (!m?.[1]) return undefined;
  const code = m[1].toLowerCase();
  const known = AD_BIND_CODES[code];
  return known ? { code, ...known } : undefined;
}

const UNTRUSTED_CA = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
]);

function prop(e: unknown, name: string): unknown {
  return typeof e === 'object' && e !== null && name in e ? (e as Record<string, unknown>)[name] : undefined;
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return url;
  }
}

const LDAP_RESULT: Readonly<Record<number, string>> = {
  1: 'operations error',
  2: 'protocol error',
  3: 'time limit exceeded',
  4: 'size limit exceeded',
  7: 'authentication method not supported',
  8: 'stronger authentication required',
  10: 'referral',
  11: 'administrative limit exceeded',
  12: 'unavailable critical extension',
  13: 'confidentiality required',
  32: 'no such object',
  34: 'invalid DN syntax',
  48: 'inappropriate authentication',
  49: 'invalid credentials',
  50: 'insufficient access rights',
  51: 'busy',
  52: 'unavailable',
  53: 'unwilling to perform',
  80: 'other',
};

/** The LDAP result code of a ldapts ResultCodeError, if it is one. */
export function resultCode(e: unknown): number | undefined {
  const code = prop(e, 'code');
  return typeof code === 'number' ? code : undefined;
}

function serverText(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  // ldapts appends " Code: 0x31"; the result code is named separately.
  return msg.replace(/\s*Code: 0x[0-9a-f]+$/i, '').trim();
}

function describeResult(code: number, e: unknown, ctx: FailureContext): Described {
  const said = serverText(e);
  const server = said ? ` (server said: ${said})` : '';
  const where = ctx.dn ? ` for ${ctx.dn}` : '';
  const partial = ctx.entriesSoFar ? ` after ${ctx.entriesSoFar} entries` : '';
  // Any LDAP answer to the StartTLS request other than success means "not here": slapd without
  // TLS keys says protocol error (unsupported extended operation), AD without a certificate
  // says unavailable. Another server of the list may offer it.
  if (ctx.stage === 'starttls') {
    return {
      message: `${ctx.url} offers no StartTLS${server}`,
      fix: 'Enable TLS on the server (OpenLDAP: TLSCertificateFile / TLSCertificateKeyFile; AD: a domain controller certificate), or use an ldaps:// URL.',
      tryNext: true,
    };
  }
  switch (code) {
    case 49: {
      const ad = decodeAdBindError(said);
      if (!ctx.bindDn) {
        return {
          message: `The anonymous bind to ${ctx.url} was refused${server}`,
          fix: 'Set bindDn and bindPassword.',
          tryNext: false,
          config: true,
        };
      }
      if (ad) {
        return {
          message: `Bind as ${ctx.bindDn} at ${ctx.url} failed: ${ad.what} (AD code ${ad.code})`,
          fix: ad.fix,
          tryNext: false,
          config: true,
        };
      }
      return {
        message: `Bind as ${ctx.bindDn} at ${ctx.url} failed: invalid credentials${server}`,
        fix: 'Check bindDn (the full DN of the account) and bindPassword / bindPasswordFile.',
        tryNext: false,
        config: true,
      };
    }
    case 8:
    case 13:
      return {
        message: `${ctx.url} requires an encrypted connection for this ${ctx.stage}${server}`,
        fix: 'Use an ldaps:// URL or set startTls: true (and caFile if the CA is private).',
        tryNext: false,
      };
    case 48:
    case 53:
      if (ctx.stage === 'bind') {
        return {
          message: `${ctx.url} refused the bind${ctx.bindDn ? ` as ${ctx.bindDn}` : ' (anonymous)'}${server}`,
          fix: ctx.bindDn
            ? 'Check bindDn and bindPassword.'
            : 'This server does not allow anonymous binds: set bindDn and bindPassword.',
          tryNext: false,
        };
      }
      break;
    case 3:
      return {
        message: `The server's time limit stopped the search${where}${partial}${server}`,
        fix: 'Raise the time limit for the bind account on the server (AD: MaxQueryDuration), narrow the filter or base, or use a smaller pageSize.',
        tryNext: false,
      };
    case 4:
    case 11:
      return {
        message: `The server's size limit stopped the search${where}${partial}${server}; a partial list is never used`,
        fix: 'Keep paging on (pageSize > 0) and below the server maximum (AD: MaxPageSize, usually 1000), or raise the limit for the bind account.',
        tryNext: false,
      };
    case 10:
      return {
        message: `${ctx.url} answered the search${where} with a referral to another server${server}`,
        fix: 'Point urls at a server that holds this base (for AD: a domain controller of that domain, or the global catalog on port 3268/3269) or correct baseDns.',
        tryNext: false,
      };
    case 12:
      return {
        message: `${ctx.url} does not support a control the search needs (paged results)${server}`,
        fix: 'Set pageSize: 0 if this server cannot page (its size limit must then exceed the directory size).',
        tryNext: false,
      };
    case 32:
      return {
        message: `${ctx.dn ?? 'The search base'} does not exist on ${ctx.url}, or ${ctx.bindDn || 'the anonymous user'} may not see it${server}`,
        fix: `${ctx.stage === 'groups' ? 'Correct the group DN in groups' : 'Correct baseDns (copy the DN from the directory, e.g. with ADSI Edit or ldapsearch)'}, or grant the bind account read access to it.`,
        tryNext: false,
        // Like a wrong group DN: the same answer on every retry.
        config: ctx.key !== undefined,
      };
    case 50:
      return {
        message: `${ctx.bindDn || 'The anonymous user'} may not read${where} on ${ctx.url}${server}`,
        fix: 'Grant the bind account read access to the base and the mapped attributes.',
        tryNext: false,
      };
    case 1:
      if (/successful bind must be completed/i.test(said)) {
        return {
          message: `${ctx.url} requires a bind before searching${server}`,
          fix: 'Set bindDn and bindPassword.',
          tryNext: false,
        };
      }
      break;
    case 51:
    case 52:
      return {
        message: `${ctx.url} is ${code === 51 ? 'busy' : 'unavailable'}${server}`,
        fix: 'Try again later, or list another server in urls.',
        tryNext: true,
      };
  }
  return {
    message: `${ctx.stage} on ${ctx.url}${where} failed: ${LDAP_RESULT[code] ?? `result code ${code}`}${partial}${server}`,
    fix: 'See the server message; check the configuration against the directory.',
    tryNext: false,
  };
}

function describeNetwork(e: unknown, ctx: FailureContext): Described {
  const code = String(prop(e, 'code') ?? '');
  const msg = e instanceof Error ? e.message : String(e);
  const host = hostOf(ctx.url);
  const tlsWord = ctx.stage === 'starttls' ? 'StartTLS' : 'TLS';
  if (UNTRUSTED_CA.has(code)) {
    return {
      message: `The ${tlsWord} certificate of ${ctx.url} is not signed by a trusted CA (${code})`,
      fix: 'Set caFile to a PEM file holding the CA that issued the directory certificate (AD: the enterprise root CA).',
      tryNext: true,
    };
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return {
      message: `The ${tlsWord} certificate of ${ctx.url} is not valid for "${host}" (${msg.replace(/^Hostname\/IP does not match certificate's altnames: /, '')})`,
      fix: 'Use a host name the certificate names (usually the server FQDN) in urls, or reissue the certificate with that name.',
      tryNext: true,
    };
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return {
      message: `The ${tlsWord} certificate of ${ctx.url} ${code === 'CERT_HAS_EXPIRED' ? 'has expired' : 'is not valid yet'}`,
      fix: "Renew the server certificate (or check this machine's clock).",
      tryNext: true,
    };
  }
  if (code === 'ECONNREFUSED') {
    return {
      message: `Nothing accepts connections at ${ctx.url} (connection refused)`,
      fix: 'Check host and port in urls (LDAP 389, LDAPS 636, AD global catalog 3268/3269) and that the directory service runs.',
      tryNext: true,
    };
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return {
      message: `The host name "${host}" of ${ctx.url} does not resolve (${code})`,
      fix: "Check the host name in urls and this machine's DNS settings.",
      tryNext: true,
    };
  }
  if (['ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH'].includes(code) || /^Connection timeout$/.test(msg)) {
    return {
      message: `${ctx.url} did not answer in time (${code || 'connect timeout'})`,
      fix: 'Check that a firewall lets this machine reach the port, or raise connectTimeoutMs.',
      tryNext: true,
    };
  }
  if (/Operation timed out/.test(msg)) {
    const reading = ctx.stage === 'search' || ctx.stage === 'groups';
    // ldapts connects lazily, so an operation timeout at the connect stage is the bind's.
    const what = reading
      ? 'a page of the search'
      : ctx.stage === 'starttls'
        ? 'the StartTLS request'
        : 'the bind';
    const after = ctx.entriesSoFar ? ` (after ${ctx.entriesSoFar} entries)` : '';
    return {
      message: `${ctx.url} did not answer ${what}${ctx.dn ? ` for ${ctx.dn}` : ''} in time${after}${reading ? '; a partial list is never used' : ''}`,
      fix: reading
        ? 'Check the server; raise operationTimeoutMs if it is just slow, or lower pageSize.'
        : 'Check that the directory service is healthy, or raise operationTimeoutMs.',
      tryNext: !reading,
    };
  }
  if (
    ctx.stage === 'connect' &&
    ctx.ldaps &&
    (code === 'ECONNRESET' ||
      code === 'EPROTO' ||
      /wrong version number|before secure TLS connection/i.test(msg))
  ) {
    return {
      message: `The TLS handshake with ${ctx.url} failed (${code || msg})`,
      fix: 'Check that this port speaks LDAPS (636); for port 389 use ldap:// with startTls: true.',
      tryNext: true,
    };
  }
  if (
    /Connection closed|Socket error|ECONNRESET|EPIPE/.test(msg) ||
    code === 'ECONNRESET' ||
    code === 'EPIPE'
  ) {
    return {
      message: `The connection to ${ctx.url} dropped during the ${ctx.stage}${ctx.dn ? ` of ${ctx.dn}` : ''}${ctx.entriesSoFar ? ` after ${ctx.entriesSoFar} entries` : ''}; a partial list is never used`,
      fix: 'Check the server and the network (idle timeouts of firewalls or load balancers); the next run starts over.',
      tryNext: ctx.stage === 'connect' || ctx.stage === 'starttls',
    };
  }
  return {
    message: `${ctx.stage} on ${ctx.url} failed: ${msg}${code && !msg.includes(code) ? ` (${code})` : ''}`,
    fix: 'Check the URL, the network and the server logs.',
    tryNext: ctx.stage === 'connect' || ctx.stage === 'starttls',
  };
}

export function describeFailure(e: unknown, ctx: FailureContext): Described {
  const code = resultCode(e);
  if (code !== undefined) return describeResult(code, e, ctx);
  return describeNetwork(e, ctx);
}

/** The error a failed operation ends the read with: a ConfigError at `ctx.key` when no retry can help. */
export function unavailable(e: unknown, ctx: FailureContext): SourceUnavailableError | ConfigError {
  const d = describeFailure(e, ctx);
  if (d.config && ctx.key) return new ConfigError(d.message, { place: ctx.key, fix: d.fix, cause: e });
  return new SourceUnavailableError(d.message, {
    place: ctx.dn ? `${ctx.url} ${ctx.dn}` : ctx.url,
    fix: d.fix,
    cause: e,
  });
}
