/** Files a config key names (secrets, CA bundles, certificates), read with a config error that says which key to fix. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
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

/** A secret's file (`…File` key or `<ENV>_FILE`); a relative path is looked up in $CREDENTIALS_DIRECTORY. One trailing line break is dropped. */
export function readSecretFile(file: string, env: NodeJS.ProcessEnv, place: string): string {
  const credDir = env.CREDENTIALS_DIRECTORY;
  const full = path.isAbsolute(file) || !credDir ? file : path.join(credDir, file);
  try {
    return readFileSync(full, 'utf8').replace(/\r?\n$/, '');
  } catch (e) {
    throw new ConfigError(`Cannot read the secret file ${full}: ${(e as NodeJS.ErrnoException).code ?? e}`, {
      place,
      fix:
        path.isAbsolute(file) || credDir
          ? 'Check the path and that the service user may read it (systemd: LoadCredential=; Docker: secrets:).'
          : `A relative secret file is looked up in $CREDENTIALS_DIRECTORY (systemd LoadCredential=), which is not set here: give an absolute path, or set the secret's env var.`,
      cause: e,
    });
  }
}
