/** Slack: a Block Kit message posted to an incoming webhook URL of a Slack app. */
import { slackPayload } from '../format/slack.js';
import type { NotifyChannel } from './delivery.js';
import { jsonUrlChannel } from './http.js';

export function createSlackChannel(config: { url: string; timeoutMs: number }): NotifyChannel {
  return jsonUrlChannel('slack', config, slackPayload, "the Slack app's incoming webhook");
}
