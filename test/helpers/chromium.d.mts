import type { Browser } from 'playwright-core';

export declare const CHROMIUM_PATH: string;
export declare const CHROMIUM_ARGS: readonly string[];
export declare class ChromiumMissingError extends Error {
  constructor(path: string);
}
export interface LaunchOptions {
  /** Defaults to CHROMIUM_PATH. */
  readonly executablePath?: string;
  /** How long Chromium may take to start; default 60 s. */
  readonly timeoutMs?: number;
}
export declare function launchChromium(options?: LaunchOptions): Promise<Browser>;
