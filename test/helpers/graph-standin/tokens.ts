/**
 * The Entra STS: the v2.0 token endpoint (client credentials with a client secret, in the form or
 * Basic auth, or a certificate client assertion), OpenID metadata, and the bearer-token check
 * every Graph request passes. Errors are AADSTS bodies (`stsError`) or Graph 401s.
 */
import { randomBytes } from 'node:crypto';
import { checkAssertion } from './assertion.js';
import { graphError, Reply, stsError } from './errors.js';

export type Permission = 'User.Read.All' | 'GroupMember.Read.All';

export interface StandInApp {
  readonly clientId: string;
  readonly secret?: string;
  /** The secret is right but expired (AADSTS7000222). */
  readonly secretExpired?: boolean;
  /** The certificate uploaded to the app registration (PEM). */
  readonly certificatePem?: string;
  /**
   * The STS knows the certificate only by its SHA-1 thumbprint (`x5t`) and checks RS256 only, as
   * some tenants still document: a PS256 assertion with `x5t#S256` is refused with AADSTS700027.
   */
  readonly legacyAssertionsOnly?: boolean;
  /** Application permissions with admin consent (default: both). */
  readonly permissions?: readonly Permission[];
}

export interface TenantIdentity {
  readonly tenantId: string;
  /** A verified domain accepted in place of the tenant id. */
  readonly tenantDomain?: string | undefined;
}

interface IssuedToken {
  readonly clientId: string;
  expiresAt: number;
}

const bearerOf = (authorization: string | undefined): string | undefined =>
  /^Bearer (.+)$/.exec(authorization ?? '')?.[1];

export class Sts {
  private readonly apps = new Map<string, StandInApp>();
  private readonly tokens = new Map<string, IssuedToken>();

  constructor(
    private readonly tenant: TenantIdentity,
    private readonly origin: () => string,
    /** `expires_in` of issued tokens. */
    public lifetimeSeconds: number,
  ) {}

  setApp(app: StandInApp): void {
    this.apps.set(app.clientId, app);
  }

  /** Access tokens issued so far. */
  issued(): string[] {
    return [...this.tokens.keys()];
  }

  /** Every issued access token expires now. */
  expireAll(): void {
    for (const t of this.tokens.values()) t.expiresAt = 0;
  }

  /** The token in this Authorization header, if issued here, expires now. */
  expire(authorization: string | undefined): void {
    const token = bearerOf(authorization);
    const t = token ? this.tokens.get(token) : undefined;
    if (t) t.expiresAt = 0;
  }

  private knownTenant(tenant: string): boolean {
    return (
      tenant.toLowerCase() === this.tenant.tenantId ||
      tenant.toLowerCase() === this.tenant.tenantDomain?.toLowerCase()
    );
  }

  metadata(tenant: string): Reply {
    if (!this.knownTenant(tenant)) {
      return stsError(
        400,
        'invalid_tenant',
        90002,
        `AADSTS90002: Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
      );
    }
    const base = `${this.origin()}/${tenant}`;
    return new Reply(200, {
      token_endpoint: `${base}/oauth2/v2.0/token`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      issuer: `${base}/v2.0`,
      jwks_uri: `${base}/discovery/v2.0/keys`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      cloud_instance_name: 'microsoftonline.com',
      msgraph_host: 'graph.microsoft.com',
    });
  }

  /** POST /{tenant}/oauth2/v2.0/token with a form `body`. */
  token(tenant: string, body: string, authorization: string | undefined): Reply {
    const form = new URLSearchParams(body);
    let clientId = form.get('client_id') ?? '';
    let secret = form.get('client_secret');
    const basic = /^Basic (.+)$/i.exec(authorization ?? '')?.[1];
    if (basic) {
      const [id, pw] = Buffer.from(basic, 'base64').toString('utf8').split(':');
      clientId = decodeURIComponent(id ?? '');
      secret = decodeURIComponent(pw ?? '');
    }
    if (!this.knownTenant(tenant)) {
      return stsError(
        400,
        'invalid_request',
        90002,
        `AADSTS90002: Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
      );
    }
    const app = this.apps.get(clientId);
    if (!app) {
      return stsError(
        400,
        'unauthorized_client',
        700016,
        `AADSTS700016: Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
      );
    }
    const problem = this.requestProblem(form) ?? this.credentialProblem(form, secret, app, tenant);
    return problem ?? this.issue(clientId);
  }

  /** Grant type and scope. */
  private requestProblem(form: URLSearchParams): Reply | undefined {
    if (form.get('grant_type') !== 'client_credentials') {
      return stsError(
        400,
        'unsupported_grant_type',
        70003,
        'AADSTS70003: The app requested an unsupported grant type.',
      );
    }
    if (form.get('scope') !== `${this.origin()}/.default`) {
      return stsError(
        400,
        'invalid_scope',
        70011,
        `AADSTS70011: The provided value for the input parameter 'scope' is not valid. The scope ${form.get('scope')} is not valid.`,
      );
    }
    return undefined;
  }

  /** The client secret (preferred when both are sent) or the client assertion. */
  private credentialProblem(
    form: URLSearchParams,
    secret: string | null,
    app: StandInApp,
    tenant: string,
  ): Reply | undefined {
    const assertion = form.get('client_assertion');
    if (secret !== null) {
      if (!app.secret || secret !== app.secret) {
        return stsError(
          401,
          'invalid_client',
          7000215,
          `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.clientId}'.`,
        );
      }
      if (app.secretExpired) {
        return stsError(
          401,
          'invalid_client',
          7000222,
          `AADSTS7000222: The provided client secret keys for app '${app.clientId}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.`,
        );
      }
      return undefined;
    }
    if (assertion !== null) {
      if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') {
        return stsError(
          400,
          'invalid_request',
          90013,
          "AADSTS90013: Invalid input received from the user. 'client_assertion_type' is not valid.",
        );
      }
      const audience = `${this.origin()}/${tenant}/oauth2/v2.0/token`;
      return checkAssertion(assertion, { ...app, audience });
    }
    return stsError(
      401,
      'invalid_client',
      7000218,
      "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    );
  }

  private issue(clientId: string): Reply {
    const accessToken = randomBytes(32).toString('base64url');
    this.tokens.set(accessToken, { clientId, expiresAt: Date.now() + this.lifetimeSeconds * 1000 });
    return new Reply(200, {
      token_type: 'Bearer',
      expires_in: this.lifetimeSeconds,
      ext_expires_in: this.lifetimeSeconds,
      access_token: accessToken,
    });
  }

  /** The permissions of the app whose bearer token this is, or Graph's 401. */
  authorize(authorization: string | undefined): Set<Permission> | Reply {
    const token = bearerOf(authorization);
    if (!token) return graphError(401, 'InvalidAuthenticationToken', 'Access token is empty.');
    const t = this.tokens.get(token);
    if (!t)
      return graphError(
        401,
        'InvalidAuthenticationToken',
        'CompactToken validation failed with reason code: 80049217.',
      );
    if (t.expiresAt <= Date.now()) {
      return graphError(401, 'InvalidAuthenticationToken', 'Access token has expired or is not yet valid.');
    }
    const app = this.apps.get(t.clientId);
    return new Set(app?.permissions ?? ['User.Read.All', 'GroupMember.Read.All']);
  }
}
