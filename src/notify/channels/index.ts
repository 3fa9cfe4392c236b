/** The configured channels, in a fixed order (email, teams, slack, webhook). A channel is on when its target is set. */
import type { NotifyConfig } from '../../config/notify.js';
import type { NotifyChannel } from './delivery.js';
import { createEmailChannel } from './email.js';
import { createSlackChannel } from './slack.js';
import { createTeamsChannel } from './teams.js';
import { createWebhookChannel } from './webhook.js';

export function createChannels(notify: NotifyConfig): NotifyChannel[] {
  const timeoutMs = notify.webhook.timeoutMs;
  const out: NotifyChannel[] = [];
  if (notify.email.host) out.push(createEmailChannel(notify.email));
  if (notify.teams.url) out.push(createTeamsChannel({ url: notify.teams.url, timeoutMs }));
  if (notify.slack.url) out.push(createSlackChannel({ url: notify.slack.url, timeoutMs }));
  if (notify.webhook.url)
    out.push(createWebhookChannel({ url: notify.webhook.url, secret: notify.webhook.secret, timeoutMs }));
  return out;
}
