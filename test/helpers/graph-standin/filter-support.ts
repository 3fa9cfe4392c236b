/**
 * Which `$filter` operator each property supports, by default or only as an advanced query
 * (ConsistencyLevel: eventual + $count=true), after Microsoft's tables: "Advanced query
 * capabilities on Microsoft Entra ID objects" › "Support for filter by properties" (users and
 * groups), and the user list's extension-property notes (onPremisesExtensionAttributes 1-15 and
 * directory extensions: eq, ne and eq on null). A property/operator pair that is not listed is
 * refused by Graph whatever the headers. Only the operators the stand-in parses are listed.
 */

/** `null` is `eq null` / `ne null`; `ne` and `not` are advanced-only everywhere. */
export type FilterOperator = 'eq' | 'ne' | 'startsWith' | 'endsWith' | 'null';
export type Support = 'default' | 'advanced';
export type FilterResource = 'user' | 'group';

const D = 'default' as const;
const A = 'advanced' as const;

type Row = Partial<Record<FilterOperator, Support>>;

/** eq by default, startsWith by default, null only advanced: most string properties. */
const STRING: Row = { eq: D, ne: A, startsWith: D, null: A };
/** Properties indexed only in the advanced store: every operator needs the advanced parameters. */
const ADVANCED_ONLY: Row = { eq: A, ne: A, startsWith: A, null: A };
const EXTENSION_ATTRIBUTE: Row = { eq: A, ne: A, null: A };

const USER: Readonly<Record<string, Row>> = {
  accountEnabled: { eq: D, ne: A },
  city: STRING,
  companyName: ADVANCED_ONLY,
  country: STRING,
  createdDateTime: { eq: D, ne: A },
  department: STRING,
  displayName: STRING,
  employeeId: STRING,
  employeeType: { eq: A, ne: A, startsWith: A },
  givenName: STRING,
  id: { eq: D, ne: A },
  jobTitle: { eq: D, ne: A, null: A },
  mail: { eq: D, ne: A, startsWith: D, endsWith: A },
  mobilePhone: ADVANCED_ONLY,
  officeLocation: ADVANCED_ONLY,
  onPremisesImmutableId: { eq: A, ne: A },
  onPremisesSamAccountName: { eq: A, ne: A, startsWith: A },
  preferredLanguage: ADVANCED_ONLY,
  surname: STRING,
  userPrincipalName: { eq: D, ne: A, startsWith: D, endsWith: A },
  userType: { eq: D, ne: A, null: A },
};

const GROUP: Readonly<Record<string, Row>> = {
  id: { eq: D, ne: A },
  displayName: STRING,
  mail: { eq: D, ne: A, startsWith: D, endsWith: A },
};

function rowOf(resource: FilterResource, property: string): Row | undefined {
  if (resource === 'user') {
    if (/^onPremisesExtensionAttributes\/extensionAttribute(?:[1-9]|1[0-5])$/.test(property)) {
      return EXTENSION_ATTRIBUTE;
    }
    // Directory extensions (extension_{appId}_{name}): eq by default, like other string properties.
    if (/^extension_[0-9a-f]{32}_\w+$/i.test(property)) return { eq: D, ne: A, null: A };
    return USER[property];
  }
  return GROUP[property];
}

/** How Graph serves `operator` on `property`, or undefined when it refuses it. */
export function filterSupport(
  resource: FilterResource,
  property: string,
  operator: FilterOperator,
): Support | undefined {
  return rowOf(resource, property)?.[operator];
}
