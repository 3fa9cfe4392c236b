/**
 * The `ldap` source kind: LDAP and Active Directory. The registry loads this module for every
 * command, so the search code and ldapts are imported by `load()` (createSources calls it) or on
 * the source's first check or fetch.
 */
import { lazyDefinition } from '../lazy.js';
import { type LdapConfig, ldapSchema } from './config.js';

export const ldapSource = lazyDefinition<LdapConfig>(
  {
    kind: 'ldap',
    summary: 'LDAP / Active Directory: paged search with group scoping, disabled accounts left out',
    schema: ldapSchema,
  },
  async () => (await import('./source.js')).createLdapSource,
);
