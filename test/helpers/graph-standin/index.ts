/** The local Microsoft Graph / Entra STS stand-in used by the entra source's tests and bench. */
export * from './fixtures.js';
export * from './pki.js';
export * from './server.js';
