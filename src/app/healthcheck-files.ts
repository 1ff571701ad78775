import { chmod, writeFile } from 'node:fs/promises';
import { createPrivateFile } from '../store/private-file.js';

/**
 * Writes an export (a worksheet, an OSCAL document) to `file`, owner-only (0600): it names
 * incidents, roles and gaps. An existing file is replaced and made owner-only too.
 */
export async function writeExportFile(file: string, text: string): Promise<void> {
  if (!createPrivateFile(file)) await chmod(file, 0o600);
  await writeFile(file, text, 'utf8');
}
