/** `emulator`: runs the local Mobile ID Manager stand-in until stopped. */
import { ConfigError } from '../../core/errors.js';
import { startEmulator } from '../../emulator/server.js';
import { createLogger } from '../../telemetry/logger.js';
import { EXIT } from '../exit-codes.js';

export interface EmulatorCommandOptions {
  readonly host: string;
  readonly port: number;
  readonly projects: readonly string[];
  readonly autoActivate: boolean;
  readonly dataFile?: string | undefined;
}

/** `name:token`; the token may also come from MOBILEID_SYNC_EMULATOR_TOKEN (kept off the command line). */
function parseProject(spec: string): { name: string; token: string } {
  const i = spec.indexOf(':');
  const name = i < 0 ? spec : spec.slice(0, i);
  const token = i < 0 ? (process.env.MOBILEID_SYNC_EMULATOR_TOKEN ?? '') : spec.slice(i + 1);
  if (!name || !token) {
    throw new ConfigError(`--project "${name}" has no token`, {
      place: '--project',
      fix: 'Use --project <name>:<token>, or --project <name> with MOBILEID_SYNC_EMULATOR_TOKEN set.',
    });
  }
  return { name, token };
}

export async function emulatorCommand(opts: EmulatorCommandOptions): Promise<number> {
  const projects = (opts.projects.length ? opts.projects : ['demo']).map(parseProject);
  const logger = createLogger({ level: 'info', maskEmails: false, fd: 1 });
  const emu = await startEmulator({
    host: opts.host,
    port: opts.port,
    projects,
    autoActivate: opts.autoActivate,
    logger,
    ...(opts.dataFile ? { dataFile: opts.dataFile } : {}),
  });
  logger.info({ url: emu.url, projects: projects.map((p) => p.name) }, 'MIM emulator listening');
  process.stderr.write(
    `MIM emulator on ${emu.url} — point a job at it with mim.baseUrl = "${emu.url}".\n` +
      `Inspect: GET ${emu.url}/_admin/projects/<project>/users | /outbox | /uploads. Ctrl-C stops.\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await emu.close();
  return EXIT.ok;
}
