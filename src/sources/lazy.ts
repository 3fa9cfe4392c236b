/**
 * Source kinds whose implementation is imported only when a job uses them. The registry is loaded
 * by every command (config loading needs each kind's schema), so a definition module holds the
 * schema and a `load` that imports the client library (ldapts, undici, csv-parse) on demand.
 */
import type { Source, SourceDefinition } from '../core/source.js';

type Create<C> = SourceDefinition<C>['create'];

/**
 * A definition whose `create` comes from `importCreate`. After `load()` (as `createSources` does)
 * `create` is the implementation's, synchronous errors and all; before it, `create` returns a
 * source that imports the implementation on its first check or fetch.
 */
export function lazyDefinition<C>(
  spec: Omit<SourceDefinition<C>, 'create' | 'load'>,
  importCreate: () => Promise<Create<C>>,
): SourceDefinition<C> {
  let loaded: Create<C> | undefined;
  const load = async (): Promise<Create<C>> => {
    loaded ??= await importCreate();
    return loaded;
  };
  return {
    ...spec,
    load: async () => {
      await load();
    },
    create: (config, ctx) =>
      loaded
        ? loaded(config, ctx)
        : loadOnFirstUse(config.name, spec.kind, async () => (await load())(config, ctx)),
  };
}

/** A Source that builds the real one (importing its module) on the first check or fetch. */
export function loadOnFirstUse(name: string, kind: string, build: () => Promise<Source>): Source {
  let source: Promise<Source> | undefined;
  const real = (): Promise<Source> => {
    source ??= build();
    return source;
  };
  return {
    name,
    kind,
    check: async (signal) => (await real()).check(signal),
    fetch: async (signal) => (await real()).fetch(signal),
    explain: async (key, signal) => {
      const source = await real();
      return source.explain?.(key, signal);
    },
    // Nothing to close when it was never built (or could not be).
    close: async () => {
      const built = await source?.catch(() => undefined);
      await built?.close();
    },
  };
}
