/**
 * The `entra` source kind: Microsoft Entra ID users through Microsoft Graph. Light on purpose (the
 * registry loads it for every command): the Graph reader and undici are imported on the source's
 * first check or fetch.
 */
import type { SourceDefinition } from '../../core/source.js';
import { loadOnFirstUse } from '../lazy.js';
import { type EntraConfig, entraSchema, resolveEntraConfig } from './config.js';

export const entraSource: SourceDefinition<EntraConfig> = {
  kind: 'entra',
  summary: 'Microsoft Entra ID users through Microsoft Graph (app-only; client secret or certificate).',
  // Imports the reader without building a source (createSources and the daemon's start call it).
  load: async () => {
    await import('./source.js');
  },
  schema: entraSchema,
  // The config resolves now, so a bad key is refused at creation as before; the reader comes later.
  create: (config, ctx) => {
    const resolved = resolveEntraConfig(config, `jobs[${ctx.job}].sources[${config.name}]`);
    return loadOnFirstUse(config.name, 'entra', async () => {
      const { EntraSource } = await import('./source.js');
      return new EntraSource(resolved, ctx);
    });
  },
};
