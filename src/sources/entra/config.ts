/**
 * Keys of an `entra` source (Microsoft Entra ID through Microsoft Graph, app-only access) and the
 * checks convict cannot express (one credential, https URLs, a valid ID template).
 */
import { type ConfigOf, count, durationMs, key, type SchemaTree, secret } from '../../config/define.js';
import { ConfigError } from '../../core/errors.js';
import { compileField, expressionFormat, type MappedField } from '../field-map.js';
import { compileTemplate, EMAIL_FALLBACKS, type EmailFallback, type EntraMapping } from './map.js';

/** The validated keys, as the loader hands them to `create` (with the source's name). */
export type EntraConfig = ConfigOf<typeof entraSchema> & { readonly name: string };

function httpsUrl(value: unknown): void {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw new Error('must be an absolute https:// URL');
  }
  if (url.protocol !== 'https:') throw new Error('must use https:// (Entra ID and Graph are HTTPS only)');
  if (url.search || url.hash) throw new Error('must not hold a query or fragment');
}

function stringList(value: unknown): void {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v.trim() === '')) {
    throw new Error('must be a list of non-empty strings');
  }
}

const clientSecret = secret(
  'Client secret of the app registration (the secret *Value*, not its ID). Use this or `certificateFile`. Never logged.',
);
const certificatePassphrase = secret(
  'Passphrase of the private key in `certificateFile`, if it is encrypted.',
);

/** map.id: the older `{property:8}` template, or a mapping expression. */
function idFormat(value: unknown): void {
  if (typeof value === 'string' && value.includes('{')) {
    const t = compileTemplate(value);
    if (typeof t === 'string') throw new Error(`is not a valid template: ${t}`);
    return;
  }
  expressionFormat(value);
}

const PROPERTY_NAME = /^[A-Za-z_][\w]*(\/[A-Za-z_]\w*)?$/;

export const entraSchema = {
  tenantId: key('Directory (tenant) ID, or a verified domain such as contoso.onmicrosoft.com.', String, ''),
  clientId: key('Application (client) ID of the app registration.', String, ''),
  clientSecret: clientSecret.value,
  clientSecretFile: clientSecret.file,
  certificateFile: key(
    'PEM file holding the app certificate and its private key (certificate credential; preferred over a secret). The certificate itself must be uploaded to the app registration.',
    String,
    '',
  ),
  certificatePassphrase: certificatePassphrase.value,
  certificatePassphraseFile: certificatePassphrase.file,
  authorityHost: key(
    'Entra sign-in host. National clouds: https://login.microsoftonline.us (US Gov), https://login.chinacloudapi.cn (China).',
    httpsUrl,
    'https://login.microsoftonline.com',
  ),
  graphBaseUrl: key(
    'Microsoft Graph root. National clouds: https://graph.microsoft.us, https://dod-graph.microsoft.us, https://microsoftgraph.chinacloudapi.cn.',
    httpsUrl,
    'https://graph.microsoft.com',
  ),
  caFile: key(
    'Extra CA certificates (PEM) to trust for the sign-in host and Graph, e.g. for a TLS-inspecting proxy.',
    String,
    '',
  ),
  groups: key(
    'Only members of these groups, nested groups included; each an object ID (preferred) or an exact display name. Empty: every user of the tenant. As an env var: a JSON list.',
    stringList,
    [] as string[],
  ),
  includeGuests: key(
    'Include guest accounts (userType Guest or a #EXT# user principal name).',
    Boolean,
    false,
  ),
  includeDisabled: key('Include accounts whose sign-in is blocked (accountEnabled false).', Boolean, false),
  filter: key(
    'An OData $filter applied by Graph, e.g. "department eq \'Facilities\'". A filter turns off delta reads.',
    String,
    '',
  ),
  delta: key(
    'Use Graph delta queries for tenant-wide scope so an unchanged directory costs one request per run.',
    Boolean,
    true,
  ),
  fullReadIntervalHours: count('With delta, read everything again at least this often, hours.', 24, {
    max: 8760,
    unit: 'hours',
  }),
  requestTimeoutMs: durationMs('Time allowed for one Graph or sign-in request, ms.', 60_000),
  retries: {
    max: count('Retries of a request after 429, 5xx or a network error.', 5, { max: 100 }),
    baseDelayMs: durationMs(
      'First backoff delay when Graph sends no Retry-After, ms; doubles each retry.',
      1_000,
      { min: 0 },
    ),
    maxDelayMs: durationMs('Longest wait between retries, ms (also caps Retry-After).', 120_000, { min: 0 }),
  },
  map: {
    firstName: key(
      'User property for the first name, or a mapping expression over properties (see "Mapping expressions" in the README), e.g. \'first(givenName, onPremisesExtensionAttributes/extensionAttribute3) | trim\'; when it gives nothing, the first word of displayName (reported).',
      expressionFormat,
      'givenName',
    ),
    lastName: key(
      "User property for the last name, or a mapping expression, e.g. 'surname | trim'; when it gives nothing, the rest of displayName (reported).",
      expressionFormat,
      'surname',
    ),
    email: key(
      "User property for the e-mail address, or a mapping expression, e.g. 'first(mail, otherMails) | lower'; when it gives nothing, emailFallbacks are tried.",
      expressionFormat,
      'mail',
    ),
    emailFallbacks: key(
      'Tried in order when the e-mail property is empty (reported): proxyAddresses (primary SMTP), otherMails, userPrincipalName.',
      stringList,
      ['proxyAddresses', 'userPrincipalName'] as string[],
    ),
    allowTenantUpn: key(
      'Allow the userPrincipalName fallback for *.onmicrosoft.com and #EXT# names (usually not a mailbox).',
      Boolean,
      false,
    ),
    id: key(
      'The credential ID: a property name (employeeId, onPremisesExtensionAttributes/extensionAttribute1, extension_<appId>_badge), a mapping expression (see "Mapping expressions" in the README) such as \'onPremisesExtensionAttributes/extensionAttribute1 | hex2dec | pad(10)\' or \'"E-" + employeeId\', or the older template form "{employeeId:8}" (zero-padded to 8).',
      idFormat,
      '{employeeId}',
    ),
  },
} satisfies SchemaTree;

export type Credential =
  | { readonly type: 'secret'; readonly secret: string }
  | { readonly type: 'certificate'; readonly file: string; readonly passphrase: string };

/** What the source needs, checked. */
export interface ResolvedEntraConfig {
  readonly config: EntraConfig;
  readonly credential: Credential;
  readonly mapping: EntraMapping;
  readonly authorityHost: string;
  readonly graphBaseUrl: string;
}

const trimSlash = (s: string): string => s.replace(/\/+$/, '');

/** Validates what the schema cannot; throws ConfigError naming the key. */
export function resolveEntraConfig(
  config: EntraConfig,
  place = `sources[${config.name}]`,
): ResolvedEntraConfig {
  const at = (k: string): string => `${place}.${k}`;
  for (const k of ['tenantId', 'clientId'] as const) {
    if (!config[k].trim()) {
      throw new ConfigError(`${k} is not set`, {
        place: at(k),
        fix: `Copy the ${k === 'tenantId' ? 'Directory (tenant) ID' : 'Application (client) ID'} from the app registration's Overview page in the Entra admin center.`,
      });
    }
  }
  if (Boolean(config.clientSecret) === Boolean(config.certificateFile)) {
    throw new ConfigError(
      config.clientSecret
        ? 'Both clientSecret and certificateFile are set'
        : 'No credential: set clientSecret or certificateFile',
      {
        place: at(config.clientSecret ? 'certificateFile' : 'clientSecret'),
        fix: 'Configure exactly one: clientSecret (or clientSecretFile) or certificateFile with the certificate and its private key.',
      },
    );
  }
  const credential: Credential = config.clientSecret
    ? { type: 'secret', secret: config.clientSecret }
    : { type: 'certificate', file: config.certificateFile, passphrase: config.certificatePassphrase };
  const fallbacks: EmailFallback[] = [];
  for (const f of config.map.emailFallbacks) {
    if (!(EMAIL_FALLBACKS as readonly string[]).includes(f)) {
      throw new ConfigError(`Unknown e-mail fallback "${f}"`, {
        place: at('map.emailFallbacks'),
        fix: `Use any of: ${EMAIL_FALLBACKS.join(', ')}.`,
      });
    }
    fallbacks.push(f as EmailFallback);
  }
  // A bare property name is read as before; anything else is a mapping expression.
  const expressions: Partial<Record<MappedField, ReturnType<typeof compileField>>> = {};
  for (const k of ['firstName', 'lastName', 'email'] as const) {
    const v = config.map[k].trim();
    if (!PROPERTY_NAME.test(v)) expressions[k] = compileField(v, at(`map.${k}`));
  }
  const idText = config.map.id.trim();
  const idIsTemplate = idText.includes('{') || PROPERTY_NAME.test(idText);
  if (!idIsTemplate) expressions.id = compileField(idText, at('map.id'));
  const template = compileTemplate(idIsTemplate ? config.map.id : '{employeeId}');
  if (typeof template === 'string') {
    throw new ConfigError(`map.id is not a valid template: ${template}`, {
      place: at('map.id'),
      fix: 'Use a property name (employeeId) or a template such as "{employeeId:8}" or "B-{employeeId}".',
    });
  }
  return {
    config,
    credential,
    mapping: {
      firstName: config.map.firstName,
      lastName: config.map.lastName,
      email: config.map.email,
      emailFallbacks: fallbacks,
      allowTenantUpn: config.map.allowTenantUpn,
      id: template,
      expressions,
    },
    authorityHost: trimSlash(config.authorityHost),
    graphBaseUrl: trimSlash(config.graphBaseUrl),
  };
}
