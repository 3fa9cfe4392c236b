/** Files a config key names (CA bundles, certificates), read once at start-up with a config error that says which key to fix. */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../core/errors.js';

/** The key that names a PEM file and what the file should hold, for the messages. */
export interface PemFileKey {
  /** The key as messages name it: "caFile", "certificateFile". */
  readonly key: string;
  /** What belongs in the file, e.g. "the CA certificate(s) of the directory servers". */
  readonly holds: string;
}

/**
 * The text of a PEM file, or a ConfigError at `place` when it cannot be read or holds no
 * certificate: a wrong path fails at `config validate`, not as a TLS error at the first run.
 */
export function readPemFile(file: string, place: string, what: PemFileKey): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(
      `Cannot read ${what.key} ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
      {
        place,
        fix: `Point ${what.key} at a PEM file holding ${what.holds} that the service user may read.`,
        cause: e,
      },
    );
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new ConfigError(`${what.key} ${file} holds no PEM certificate`, {
      place,
      fix: `Put ${what.holds} into the file as PEM (Base-64, "-----BEGIN CERTIFICATE-----").`,
    });
  }
  return text;
}
