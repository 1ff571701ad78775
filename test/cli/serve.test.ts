import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = mkdtempSync(path.join(tmpdir(), 'closeloop-serve-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('first start (npm start = serve --bootstrap)', () => {
  it('writes the configuration and database, prints a one-time admin token, and serves the API with it', async () => {
    const child = spawn(process.execPath, [path.join(root, 'bin', 'closeloop.js'), 'serve', '--bootstrap', '--port', '0'], {
      cwd: dir,
      env: { ...process.env, CLOSELOOP_DB: '', CLOSELOOP_CONFIG: '', CLOSELOOP_ACTOR: '' },
    });
    try {
      let out = '';
      const ready = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 30_000);
        child.stdout.on('data', (b: Buffer) => {
          out += b.toString();
          if (out.includes('listening on')) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.stderr.on('data', (b: Buffer) => (out += b.toString()));
        child.on('exit', (code) => reject(new Error(`server exited ${code}: ${out}`)));
      });
      await ready;
      const token = /API token for admin[^:]*: (clt_[A-Za-z0-9_-]+)/.exec(out)?.[1];
      const port = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1];
      expect(token).toBeDefined();
      expect(existsSync(path.join(dir, 'closeloop.yaml'))).toBe(true);
      expect(existsSync(path.join(dir, 'closeloop.db'))).toBe(true);
      const base = `http://127.0.0.1:${port ?? ''}`;
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect((await fetch(`${base}/api/v1/incidents`)).status).toBe(401);
      const created = await fetch(`${base}/api/v1/incidents`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token ?? ''}`, 'content-type': 'application/json' },
        body: JSON.stringify({ title: 'first', severity: 'low' }),
      });
      expect(created.status).toBe(201);
      expect(((await created.json()) as { id: string }).id).toMatch(/^INC-\d{4}-0001$/);
      // the token is shown once: stored only as a hash
      const { default: Database } = await import('better-sqlite3');
      const db = new Database(path.join(dir, 'closeloop.db'), { readonly: true });
      const rows = db.prepare('SELECT token_hash FROM api_tokens').all() as { token_hash: string }[];
      db.close();
      expect(rows).toHaveLength(1);
      expect(rows[0]?.token_hash).not.toContain(token ?? 'x');
      expect(rows[0]?.token_hash).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      child.kill('SIGTERM');
    }
  }, 60_000);
});
