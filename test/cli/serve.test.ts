import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import net from 'node:net';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = mkdtempSync(path.join(tmpdir(), 'closeloop-serve-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('first start (npm start = serve --bootstrap)', () => {
  it('writes the configuration and database, prints a one-time admin token and set-password link, and serves the API with them', async () => {
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
      // the set-password link names this server and lets the admin sign in to the web application
      const link = /open (http:\/\/\S+) to choose admin's password/.exec(out)?.[1] ?? '';
      expect(link).toMatch(new RegExp(`^${base}/set-password\\?token=[A-Za-z0-9_-]{43}$`));
      const set = await fetch(`${base}/api/v1/password-links/${new URL(link).searchParams.get('token') ?? ''}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ password: 'the first admin password' }),
      });
      expect(set.status).toBe(204);
      const signIn = await fetch(`${base}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'admin', password: 'the first admin password' }) });
      expect(signIn.status).toBe(200);
      expect(signIn.headers.get('set-cookie')).toMatch(/^closeloop_session=/);
    } finally {
      child.kill('SIGTERM');
    }
  }, 60_000);
});

/** Starts `closeloop serve --bootstrap --port 0` in `cwd`; resolves once it listens, with its token and port. */
async function startServe(cwd: string): Promise<{ child: ChildProcessWithoutNullStreams; token: string; port: number; out: () => string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [path.join(root, 'bin', 'closeloop.js'), 'serve', '--bootstrap', '--port', '0'], {
    cwd,
    env: { ...process.env, CLOSELOOP_DB: '', CLOSELOOP_CONFIG: '', CLOSELOOP_ACTOR: '' },
  });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const until = Date.now() + 30_000;
  while (!out.includes('listening on')) {
    if (Date.now() > until || child.exitCode !== null) throw new Error(`server did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const token = /API token for admin[^:]*: (clt_[A-Za-z0-9_-]+)/.exec(out)?.[1] ?? '';
  const port = Number(/listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1] ?? 0);
  return { child, token, port, out: () => out, exited };
}

describe('SIGTERM', () => {
  it('drains: the request in flight is answered and stored, new connections are refused, the store is closed, exit 0', async () => {
    const cwd = mkdtempSync(path.join(dir, 'drain-'));
    const { child, token, port, out, exited } = await startServe(cwd);
    try {
      // a request in flight: headers and half the body sent, the rest after the signal
      const body = JSON.stringify({ title: 'in-flight-at-sigterm', severity: 'low' });
      const socket = net.connect(port, '127.0.0.1');
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      let answer = '';
      socket.on('data', (b: Buffer) => (answer += b.toString()));
      const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
      socket.write(`POST /api/v1/incidents HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`);
      socket.write(body.slice(0, 10));
      await new Promise((r) => setTimeout(r, 200));

      child.kill('SIGTERM');
      const until = Date.now() + 10_000;
      while (!out().includes('closeloop stopping')) {
        if (Date.now() > until) throw new Error(`no drain: ${out()}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      // stopping: no new connection is accepted, and the process waits for the request in flight
      await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
      expect(child.exitCode).toBeNull();

      socket.end(body.slice(10));
      await closed;
      expect(answer).toMatch(/^HTTP\/1\.1 201 /);
      expect(await exited).toBe(0);
      expect(out()).toContain('closeloop stopped');
      // SQLite removes the write-ahead log when its last connection closes: the store was closed
      expect(existsSync(path.join(cwd, 'closeloop.db-wal'))).toBe(false);

      const { default: Database } = await import('better-sqlite3');
      const db = new Database(path.join(cwd, 'closeloop.db'), { readonly: true });
      const rows = db.prepare('SELECT title FROM incidents').all() as { title: string }[];
      db.close();
      expect(rows).toEqual([{ title: 'in-flight-at-sigterm' }]);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 60_000);
});
