/** Microsoft Teams: an Adaptive Card posted to a Workflows (or legacy connector) webhook URL. */
import { teamsMessage } from '../format/teams.js';
import type { NotifyChannel } from './delivery.js';
import { createAgent, postJson } from './http.js';

export function createTeamsChannel(config: { url: string; timeoutMs: number }): NotifyChannel {
  const place = new URL(config.url).host;
  const agent = createAgent(config.timeoutMs);
  return {
    name: 'teams',
    target: place,
    send: (event, signal) =>
      postJson(
        agent,
        {
          url: config.url,
          place,
          body: JSON.stringify(teamsMessage(event)),
          what: 'the Teams workflow webhook',
        },
        signal,
      ),
    close: () => agent.close(),
  };
}
