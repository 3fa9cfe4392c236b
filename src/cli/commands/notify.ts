/**
 * `notify test`: sends a test message on every configured channel now (no de-dup, no retry) and
 * prints one line per channel with the receiver's answer, or the error and its fix.
 */

import os from 'node:os';
import { anyChannel } from '../../config/notify.js';
import { ConfigError } from '../../core/errors.js';
import { createChannels } from '../../notify/channels/index.js';
import { Notifier, notifyPolicy } from '../../notify/dispatcher.js';
import { type CommonOptions, load } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { cliLogger } from '../logger.js';
import { packageVersion } from '../version.js';

export async function notifyTestCommand(opts: CommonOptions): Promise<number> {
  const { config } = load(opts);
  if (!anyChannel(config.notify)) {
    throw new ConfigError('No notification channel is configured', {
      place: 'notify',
      fix: 'Set notify.email.host (with from and to), notify.teams.url(File), notify.slack.url(File) or notify.webhook.url (with secretFile); see the README, "Notifications".',
    });
  }
  const notifier = new Notifier({
    channels: createChannels(config.notify),
    policy: notifyPolicy(config.notify),
    // One attempt: the admin is waiting for the answer.
    retry: { max: 0, baseDelayMs: 0 },
    stateDir: null,
    log: cliLogger(config, opts.logLevel),
  });
  const event = {
    kind: 'test',
    at: new Date().toISOString(),
    host: os.hostname(),
    version: await packageVersion(),
  } as const;
  const results = await notifier.sendNow(event);
  await notifier.close();
  const lines: string[] = [];
  for (const { channel, result } of results) {
    const where = `${channel.name} ${channel.target}`;
    if (result.ok) lines.push(`✓ ${where} — ${result.detail}`);
    else lines.push(`✗ ${where} — ${result.message}`, `    fix: ${result.fix}`);
  }
  const failed = results.filter((r) => !r.result.ok).length;
  lines.push(
    failed === 0
      ? `Test message delivered on ${results.length} channel(s).`
      : `${failed} of ${results.length} channel(s) failed (see above).`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
  return failed === 0 ? EXIT.ok : EXIT.unavailable;
}
