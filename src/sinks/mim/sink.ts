/**
 * MIM as a `Sink` (core/sink.ts): the run and `check` reach MIM only through this, so the client,
 * the CSV encoding and undici stay inside `sinks/mim/`.
 */
import type { MimConfig } from '../../config/schema.js';
import { deadline } from '../../core/deadline.js';
import { errorText } from '../../core/errors.js';
import type { PushReceipt, Sink } from '../../core/sink.js';
import type { CheckResult } from '../../core/source.js';
import type { MimClient, MimClientOptions } from './client.js';
import { encodePayload } from './encode-csv.js';

export type MimSinkOptions = MimClientOptions;

/** Imports the HTTP client now (the daemon at start, so its first push is not slowed by it). */
export async function preloadMimClient(): Promise<void> {
  await import('./client.js');
}

export function createMimSink(config: MimConfig, options: MimSinkOptions): Sink {
  // Created on the first push: `check` and a dry run never open a connection pool, and a dry
  // run never loads the HTTP client (undici) at all.
  let client: Promise<MimClient> | undefined;
  return {
    description: `MIM project ${config.project}`,
    encode: (records) => encodePayload(records, config.dialect),
    check: (signal) => checkMim(config, signal),
    async push(payload, signal): Promise<PushReceipt> {
      client ??= import('./client.js').then(({ MimClient }) => new MimClient(config, options));
      return (await client).push(payload, signal);
    },
    async close() {
      const open = client;
      client = undefined;
      // A client that could not be created (its error went to the push) has nothing to close.
      await (await open?.catch(() => undefined))?.close();
    },
  };
}

/**
 * MIM offers no read-only call, so a check can only say whether a token is set and whether the
 * base URL answers at all; it never sends to the sync endpoint (that would replace the user list).
 */
async function checkMim(config: MimConfig, signal: AbortSignal): Promise<CheckResult> {
  const [{ Agent, request }, { syncUrl }] = await Promise.all([
    import('../../http/undici.js'),
    import('./client.js'),
  ]);
  const url = syncUrl(config);
  const lines: string[] = [];
  let ok = true;
  if (!config.token) {
    ok = false;
    lines.push(`no token configured (mim.token / mim.tokenFile) — uploads would fail`);
  } else lines.push('token configured (MIM offers no read-only call to verify it; the first sync does)');
  // A base URL that accepts the connection and never answers fails within connectTimeoutMs.
  const limit = deadline(config.connectTimeoutMs, signal);
  const agent = new Agent({ connect: { timeout: config.connectTimeoutMs } });
  try {
    const res = await request(new URL('/', config.baseUrl), {
      method: 'GET',
      dispatcher: agent,
      signal: limit.signal,
    });
    await res.body.dump();
    lines.push(`${config.baseUrl} reachable (HTTP ${res.statusCode}); uploads go to ${url}`);
  } catch (e) {
    ok = false;
    lines.push(
      `${config.baseUrl} NOT reachable: ${errorText(e)} — check mim.baseUrl, DNS, proxy and firewall`,
    );
  } finally {
    limit.clear();
    await agent.destroy();
  }
  return { ok, lines };
}
