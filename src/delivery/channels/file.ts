import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Channel } from '../channel.js';

/**
 * `file`: writes each message as a file into a mailbox directory (the address). Zero set-up
 * delivery for small teams and for evidence: the file name is the idempotency key, so a retried
 * message is never written twice.
 */
export const fileChannel = (baseDir: string): Channel => ({
  async deliver({ notification: n }) {
    const dir = path.resolve(baseDir, n.address);
    // Messages carry incident details: directories closeloop creates are 0700, messages 0600.
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const name = `${n.idempotency_key.replace(/[^A-Za-z0-9._-]+/g, '_')}.txt`;
    const text = [`Message-Id: ${n.id}`, `Idempotency-Key: ${n.idempotency_key}`, `To-Role: ${n.role}`, `Subject: ${n.subject}`, '', n.body, ''].join('\n');
    try {
      await writeFile(path.join(dir, name), text, { flag: 'wx', mode: 0o600 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    return { messageId: `file:${path.join(n.address, name)}` };
  },
});
