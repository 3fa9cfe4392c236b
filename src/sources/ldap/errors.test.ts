import { InvalidCredentialsError, StatusCodeParser } from 'ldapts';
import { describe, expect, it } from 'vitest';
import { ConfigError, SourceUnavailableError } from '../../core/errors.js';
import { decodeAdBindError, describeFailure, unavailable } from './errors.js';

const AD_52E = '80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data 52e, v1db1';

function result(status: number, errorMessage = ''): Error {
  return StatusCodeParser.parse({ status, errorMessage } as never);
}

describe('decodeAdBindError', () => {
  it('decodes the AD sub-codes into plain words', () => {
    expect(decodeAdBindError(AD_52E)?.what).toBe('the password is wrong');
    expect(decodeAdBindError('... data 775, v4563')?.what).toBe('the account is locked out');
    expect(decodeAdBindError('... data 532, v...')?.what).toBe('the password has expired');
    expect(decodeAdBindError('... data 533, v...')?.what).toBe('the account is disabled');
    expect(decodeAdBindError('Invalid credentials')).toBeUndefined();
  });
});

describe('describeFailure', () => {
  const url = 'ldaps://dc1.corp.example:636';

  it('bind 49 with AD text: plain words, no fail-over, the bind DN but never a password', () => {
    const d = describeFailure(new InvalidCredentialsError(AD_52E), {
      url,
      stage: 'bind',
      bindDn: 'CN=svc,DC=corp',
    });
    expect(d.message).toBe(
      'Bind as CN=svc,DC=corp at ldaps://dc1.corp.example:636 failed: the password is wrong (AD code 52e)',
    );
    expect(d.tryNext).toBe(false);
  });

  it('TLS: unknown CA and wrong host name are named, and another URL may be tried', () => {
    const ca = describeFailure(
      Object.assign(new Error('unable to verify the first certificate'), {
        code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      }),
      {
        url,
        stage: 'connect',
      },
    );
    expect(ca.message).toMatch(/not signed by a trusted CA/);
    expect(ca.fix).toMatch(/caFile/);
    expect(ca.tryNext).toBe(true);
    const host = describeFailure(
      Object.assign(
        new Error(
          "Hostname/IP does not match certificate's altnames: IP: 127.0.0.2 is not in the cert's list: 127.0.0.1, ::1",
        ),
        {
          code: 'ERR_TLS_CERT_ALTNAME_INVALID',
        },
      ),
      { url: 'ldaps://127.0.0.2:636', stage: 'connect' },
    );
    expect(host.message).toMatch(/not valid for "127\.0\.0\.2"/);
    expect(host.fix).toMatch(/host name the certificate names/);
  });

  it('unreachable server: refused and timeouts', () => {
    expect(
      describeFailure(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), {
        url,
        stage: 'connect',
      }).message,
    ).toBe('Nothing accepts connections at ldaps://dc1.corp.example:636 (connection refused)');
    expect(describeFailure(new Error('Connection timeout'), { url, stage: 'connect' }).message).toMatch(
      /did not answer in time/,
    );
  });

  it('search failures never allow a partial result', () => {
    const size = describeFailure(result(4, 'Size limit exceeded'), {
      url,
      stage: 'search',
      dn: 'ou=x',
      entriesSoFar: 500,
    });
    expect(size.message).toMatch(/size limit stopped the search for ou=x after 500 entries/);
    expect(size.message).toMatch(/partial list is never used/);
    expect(describeFailure(result(3), { url, stage: 'search' }).message).toMatch(/time limit/);
    expect(describeFailure(result(10), { url, stage: 'search', dn: 'ou=x' }).message).toMatch(/referral/);
    expect(
      describeFailure(new Error('SearchRequest: Operation timed out'), { url, stage: 'search', dn: 'ou=x' })
        .message,
    ).toMatch(/did not answer a page of the search for ou=x in time/);
    expect(
      describeFailure(
        new Error(
          'Connection closed before message response was received. Message type: SearchRequest (0x63)',
        ),
        {
          url,
          stage: 'search',
          dn: 'ou=x',
          entriesSoFar: 50,
        },
      ).message,
    ).toMatch(/dropped during the search of ou=x after 50 entries/);
  });

  it('StartTLS refused (slapd without keys: protocol error; AD without a certificate: unavailable): the next URL may have it', () => {
    for (const e of [result(2, 'unsupported extended operation'), result(52)]) {
      const d = describeFailure(e, { url: 'ldap://dc1', stage: 'starttls' });
      expect(d.message).toMatch(/^ldap:\/\/dc1 offers no StartTLS/);
      expect(d.fix).toMatch(/Enable TLS on the server.*or use an ldaps:\/\/ URL/);
      expect(d.tryNext).toBe(true);
    }
  });

  it('a DN that does not exist is a config error when it came from a key, like a wrong group DN', () => {
    const ctx = { url, stage: 'search', dn: 'ou=nowhere', bindDn: 'cn=sync' } as const;
    const keyed = unavailable(result(32), { ...ctx, key: 'sources[dir].baseDns' });
    expect(keyed).toBeInstanceOf(ConfigError);
    expect(keyed.place).toBe('sources[dir].baseDns');
    expect(keyed.message).toMatch(/^ou=nowhere does not exist on .*, or cn=sync may not see it/);
    expect(unavailable(result(32), ctx)).toBeInstanceOf(SourceUnavailableError);
    expect(unavailable(result(51), { ...ctx, key: 'sources[dir].baseDns' })).toBeInstanceOf(
      SourceUnavailableError,
    );
  });

  it('strong auth required points at TLS', () => {
    const d = describeFailure(result(8, 'BindSimple: Transport encryption required.'), {
      url: 'ldap://dc1',
      stage: 'bind',
      bindDn: 'x',
    });
    expect(d.fix).toMatch(/ldaps:\/\/ URL or set startTls/);
  });
});
