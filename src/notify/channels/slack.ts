/** Slack: a Block Kit message posted to an incoming webhook URL of a Slack app. */
import { slackPayload } from '../format/slack.js';
import type { NotifyChannel } from './delivery.js';
import { createAgent, postJson } from './http.js';

export function createSlackChannel(config: { url: string; timeoutMs: number }): NotifyChannel {
  const place = new URL(config.url).host;
  const agent = createAgent(config.timeoutMs);
  return {
    name: 'slack',
    target: place,
    send: (event, signal) =>
      postJson(
        agent,
        {
          url: config.url,
          place,
          body: JSON.stringify(slackPayload(event)),
          what: "the Slack app's incoming webhook",
        },
        signal,
      ),
    close: () => agent.close(),
  };
}
