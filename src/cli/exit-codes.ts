/**
 * Exit codes, documented in the README. sysexits(3) values where one fits, so systemd and
 * scripts can tell a configuration error (no restart will help) from an outage (retry later).
 */
import type { ErrorCode } from '../core/errors.js';

export const EXIT = {
  ok: 0,
  /** Unexpected failure (a bug). */
  failure: 1,
  /** `plan`: changes are pending (a `sync` would upload). */
  changesPending: 2,
  /** The guard blocked the run: hard stop or approval needed. Nothing was pushed. */
  blocked: 3,
  usage: 64,
  /** Input data unusable (bad drop file) or MIM rejected the file. */
  dataError: 65,
  /** A source or MIM is unreachable or kept failing; retry later. */
  unavailable: 69,
  internal: 70,
  /** The state directory could not be read or written. */
  ioError: 74,
  /** MIM refused the project token. */
  noPermission: 77,
  config: 78,
  interrupted: 130,
} as const;

export function exitCodeFor(code: ErrorCode): number {
  switch (code) {
    case 'CONFIG_INVALID':
      return EXIT.config;
    case 'SOURCE_UNAVAILABLE':
    case 'TARGET_UNAVAILABLE':
      return EXIT.unavailable;
    case 'SOURCE_INVALID':
    case 'TARGET_REJECTED':
      return EXIT.dataError;
    case 'TARGET_AUTH':
      return EXIT.noPermission;
    case 'GUARD_BLOCKED':
      return EXIT.blocked;
    case 'STATE_IO':
      return EXIT.ioError;
    case 'ABORTED':
      return EXIT.interrupted;
    case 'INTERNAL':
      return EXIT.internal;
  }
}
