/** The logger of the one-shot commands; apart from context.ts so `status` and `config` never load pino. */
import type { AppConfig, LogLevel } from '../config/schema.js';
import { createLogger, type Logger } from '../telemetry/logger.js';

/** CLI logs go to stderr (stdout carries the plan); the level defaults to fatal for one-shot commands, whose report already says everything. */
export function cliLogger(config: AppConfig, level: string | undefined): Logger {
  return createLogger({
    level: (level as LogLevel | undefined) ?? 'fatal',
    maskEmails: config.log.maskEmails,
    fd: 2,
  });
}
