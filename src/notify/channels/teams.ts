/** Microsoft Teams: an Adaptive Card posted to a Workflows (or legacy connector) webhook URL. */
import { teamsMessage } from '../format/teams.js';
import type { NotifyChannel } from './delivery.js';
import { jsonUrlChannel } from './http.js';

export function createTeamsChannel(config: { url: string; timeoutMs: number }): NotifyChannel {
  return jsonUrlChannel('teams', config, teamsMessage, 'the Teams workflow webhook');
}
