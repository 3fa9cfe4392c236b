import os from 'node:os';

/** Who approves from this machine: the OS user (recorded with every approval). */
export function osUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? '?'}`;
  }
}
