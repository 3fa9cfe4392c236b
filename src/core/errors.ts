/**
 * Errors that end a run. Each has a stable code, the place it concerns (a config key, a URL,
 * a file) and the fix, so the message an admin reads is actionable. Bad rows are not errors:
 * they are Rejection values (see types.ts).
 */

export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'SOURCE_UNAVAILABLE'
  | 'SOURCE_INVALID'
  | 'TARGET_UNAVAILABLE'
  | 'TARGET_REJECTED'
  | 'TARGET_AUTH'
  | 'GUARD_BLOCKED'
  | 'STATE_IO'
  | 'ABORTED'
  | 'INTERNAL';

export interface SyncErrorOptions {
  /** What the error is about: a config key, a URL, a DN, a file path. Never a secret. */
  readonly place?: string | undefined;
  /** What the admin should do. */
  readonly fix: string;
  readonly cause?: unknown;
}

export class SyncError extends Error {
  readonly code: ErrorCode;
  readonly place: string | undefined;
  readonly fix: string;

  constructor(code: ErrorCode, message: string, options: SyncErrorOptions) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.place = options.place;
    this.fix = options.fix;
  }

  /** One line for a terminal or a log: what, where, and the fix. */
  describe(): string {
    const where = this.place ? ` [${this.place}]` : '';
    return `${this.message}${where} — ${this.fix}`;
  }
}

/** The configuration is wrong; retrying will not help. */
export class ConfigError extends SyncError {
  constructor(message: string, options: SyncErrorOptions) {
    super('CONFIG_INVALID', message, options);
  }
}

/** A source could not deliver a complete snapshot. Never read as "no people". */
export class SourceUnavailableError extends SyncError {
  constructor(message: string, options: SyncErrorOptions) {
    super('SOURCE_UNAVAILABLE', message, options);
  }
}

/** A source delivered data that cannot be used as a whole (undecodable file, no usable columns). */
export class SourceInvalidError extends SyncError {
  constructor(message: string, options: SyncErrorOptions) {
    super('SOURCE_INVALID', message, options);
  }
}

/** MIM could not be reached or kept failing (network, 408, 429, 5xx); worth retrying later. */
export class TargetUnavailableError extends SyncError {
  readonly status: number | undefined;
  constructor(message: string, options: SyncErrorOptions & { status?: number | undefined }) {
    super('TARGET_UNAVAILABLE', message, options);
    this.status = options.status;
  }
}

/** MIM refused the file (400/422); `body` holds MIM's error list. Nothing was applied. */
export class TargetRejectedError extends SyncError {
  readonly status: number;
  readonly body: string;
  constructor(message: string, options: SyncErrorOptions & { status: number; body: string }) {
    super('TARGET_REJECTED', message, options);
    this.status = options.status;
    this.body = options.body;
  }
}

/** MIM refused the token (401/403). */
export class TargetAuthError extends SyncError {
  readonly status: number;
  constructor(message: string, options: SyncErrorOptions & { status: number }) {
    super('TARGET_AUTH', message, options);
    this.status = options.status;
  }
}

/** Reading or writing the state directory failed. */
export class StateError extends SyncError {
  constructor(message: string, options: SyncErrorOptions) {
    super('STATE_IO', message, options);
  }
}

export class AbortedError extends SyncError {
  constructor(message = 'The run was cancelled') {
    super('ABORTED', message, { fix: 'Nothing to do; the next run starts from the last recorded state.' });
  }
}

export function isSyncError(e: unknown): e is SyncError {
  return e instanceof SyncError;
}

/** Best-effort text for an unknown thrown value, without leaking objects into logs. */
export function errorText(e: unknown): string {
  if (e instanceof SyncError) return e.describe();
  if (e instanceof Error) return e.message;
  return String(e);
}
