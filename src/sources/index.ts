/**
 * Every source kind, registered explicitly (no import side effects). To add a kind: write
 * sources/<kind>/{config,source,map}.ts and a light index.ts holding its SourceDefinition, and add
 * one line here. The composition roots (the CLI, tests) hand this registry to config loading;
 * `config/` never imports it. Every command loads it, so each kind's index.ts imports its schema
 * only: the implementation (and its client library) is imported when a job uses the kind.
 */
import type { SourceDefinition, SourceRegistry } from '../core/source.js';
import type { SourceKind } from '../core/types.js';
import { csvFolderSource } from './csv/index.js';
import { entraSource } from './entra/index.js';
import { ldapSource } from './ldap/index.js';

export const SOURCE_DEFINITIONS: SourceRegistry = new Map<SourceKind, SourceDefinition<never>>([
  ['ldap', ldapSource],
  ['entra', entraSource],
  ['csv-folder', csvFolderSource],
]);
