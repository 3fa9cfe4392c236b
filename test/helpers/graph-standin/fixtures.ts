/**
 * Directory data for the Graph stand-in: users shaped like Graph's `user` resource (nullable
 * strings are null, collections are []), groups with members, and other directory objects.
 */

export interface StandInUser {
  readonly id: string;
  readonly givenName: string | null;
  readonly surname: string | null;
  readonly displayName: string | null;
  readonly mail: string | null;
  readonly userPrincipalName: string;
  readonly accountEnabled: boolean;
  readonly employeeId: string | null;
  readonly userType: 'Member' | 'Guest';
  readonly otherMails: readonly string[];
  readonly proxyAddresses: readonly string[];
  readonly onPremisesImmutableId: string | null;
  readonly onPremisesExtensionAttributes?: Readonly<Record<string, string | null>>;
  /** Directory extension properties (`extension_<appId>_<name>`) and anything else a test needs. */
  readonly [extra: string]: unknown;
}

export interface StandInGroup {
  readonly id: string;
  readonly displayName: string;
  /** Ids of direct members: users, groups, or other objects. */
  readonly members: readonly string[];
}

/** A non-user, non-group directory object that can be a group member (device, orgContact, …). */
export interface StandInObject {
  readonly id: string;
  readonly '@odata.type': string;
  readonly displayName: string;
  readonly mail?: string | null;
}

const FIRST = [
  'Ada',
  'Grace',
  'Alan',
  'Edsger',
  'Barbara',
  'Donald',
  'Frances',
  'Ken',
  'Margaret',
  'Niklaus',
];
const LAST = [
  'Lovelace',
  'Hopper',
  'Turing',
  'Dijkstra',
  'Liskov',
  'Knuth',
  'Allen',
  'Thompson',
  'Hamilton',
  'Wirth',
];

/** A deterministic GUID-shaped id: kind 1 users, 2 groups, 3 other objects. */
export function objectId(index: number, kind: 1 | 2 | 3 = 1): string {
  const hex = index.toString(16).padStart(12, '0');
  return `${kind.toString(16).padStart(8, '0')}-0000-4000-8000-${hex}`;
}

/** A tenant member with every usual property set; override what a test needs. */
export function makeUser(index: number, overrides: Partial<StandInUser> = {}): StandInUser {
  const first = FIRST[index % FIRST.length]!;
  const last = `${LAST[Math.floor(index / FIRST.length) % LAST.length]!}${index}`;
  const alias = `${first}.${last}`.toLowerCase();
  return {
    id: objectId(index),
    givenName: first,
    surname: last,
    displayName: `${first} ${last}`,
    mail: `${alias}@contoso.com`,
    userPrincipalName: `${alias}@contoso.com`,
    accountEnabled: true,
    employeeId: String(1000 + index),
    userType: 'Member',
    otherMails: [],
    proxyAddresses: [`SMTP:${alias}@contoso.com`, `smtp:${alias}@contoso.onmicrosoft.com`],
    onPremisesImmutableId: null,
    onPremisesExtensionAttributes: { extensionAttribute1: `B${index}` },
    ...overrides,
  };
}

/** A B2B guest as Entra stores one: #EXT# UPN in the tenant's onmicrosoft.com domain. */
export function makeGuest(index: number, overrides: Partial<StandInUser> = {}): StandInUser {
  const base = makeUser(index);
  const alias = `${base.givenName}.${base.surname}`.toLowerCase();
  return {
    ...base,
    mail: `${alias}@fabrikam.com`,
    userPrincipalName: `${alias}_fabrikam.com#EXT#@contoso.onmicrosoft.com`,
    userType: 'Guest',
    employeeId: null,
    otherMails: [`${alias}@fabrikam.com`],
    proxyAddresses: [`SMTP:${alias}@fabrikam.com`],
    ...overrides,
  };
}

export interface GenerateOptions {
  readonly count: number;
  /** Every n-th user is a guest (0: none). */
  readonly guestEvery?: number;
  /** Every n-th user is disabled (0: none). */
  readonly disabledEvery?: number;
  /** Every n-th user has no mail and no proxyAddresses (UPN on the custom domain). */
  readonly noMailEvery?: number;
  /** Index of the first user (ids and names follow it). */
  readonly start?: number;
}

const nth = (i: number, every: number | undefined): boolean =>
  every !== undefined && every > 0 && i % every === every - 1;

/** `count` users; the mix of guests, disabled accounts and mail-less users is deterministic. */
export function generateUsers(options: GenerateOptions): StandInUser[] {
  const start = options.start ?? 0;
  const users: StandInUser[] = [];
  for (let i = start; i < start + options.count; i++) {
    if (nth(i, options.guestEvery)) users.push(makeGuest(i));
    else if (nth(i, options.disabledEvery)) users.push(makeUser(i, { accountEnabled: false }));
    else if (nth(i, options.noMailEvery)) users.push(makeUser(i, { mail: null, proxyAddresses: [] }));
    else users.push(makeUser(i));
  }
  return users;
}
