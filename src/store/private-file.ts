import { closeSync, openSync } from 'node:fs';

/**
 * Creates `file` empty with mode 0600 (owner only), whatever the umask; a file that exists is left
 * as it is. Returns whether it created the file. Other errors (no such directory, no permission)
 * are thrown as they come.
 */
export function createPrivateFile(file: string): boolean {
  try {
    closeSync(openSync(file, 'wx', 0o600));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}
