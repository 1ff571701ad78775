import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKPOINT, MANIFEST, PUBLIC_KEY, SIGNATURE, auditEventsPath } from '../../src/audit/evidence-bundle.js';
import { generateSigningKeyPair, signerFromPem } from '../../src/audit/signing.js';
import { openStore, type Store } from '../../src/store/db.js';
import { signTestCheckpoint, rezip, unzip } from '../helpers/checkpoints.js';
import { expectExit, inProcessCli, makeCliDir, runCli, type CliRun } from '../helpers/cli.js';

/**
 * `closeloop evidence export` and `verify` as a person runs them: an export to a file and to the
 * evidence location, and a verify that fails, naming the file, on each kind of tampering.
 */
describe('closeloop evidence', () => {
  const keys = generateSigningKeyPair();
  const signer = signerFromPem(keys.privateKeyPem);
  let dir: string;
  let inc: string;
  let bundle: Uint8Array;

  const run = (args: string[]): Promise<CliRun> => runCli(dir, 'closeloop.db', args);
  /** `evidence verify` with no store and no configuration at all. */
  const verify = (file: string, ...more: string[]): Promise<CliRun> => inProcessCli(dir, ['evidence', 'verify', file, '--json', ...more], { CLOSELOOP_DB: path.join(dir, 'absent.db'), CLOSELOOP_CONFIG: path.join(dir, 'absent.yaml') });

  async function withStore<T>(fn: (store: Store) => Promise<T>): Promise<T> {
    const store = await openStore({ url: path.join(dir, 'closeloop.db') });
    try {
      return await fn(store);
    } finally {
      await store.close();
    }
  }

  beforeAll(async () => {
    dir = await makeCliDir('closeloop-evidence-', 'closeloop.db', 'ir_lead');
    // these tests bring their own key: drop the one `closeloop init` made
    const config = path.join(dir, 'closeloop.yaml');
    writeFileSync(config, readFileSync(config, 'utf8').replace(/^audit:\n {2}signing_key: .*\n/m, ''));
    const open = await run(['incident', 'open', '--title', 'Webshell', '--severity', 'high', '--json']);
    expectExit(open, 0);
    inc = open.json().id as string;
    writeFileSync(path.join(dir, 'signing-key.pem'), keys.privateKeyPem, { mode: 0o600 });
    writeFileSync(path.join(dir, 'public-key.pem'), keys.publicKeyPem);
    writeFileSync(path.join(dir, 'other-key.pem'), generateSigningKeyPair().publicKeyPem);
  });
  afterAll(() => undefined);

  it('without a signing key exits 2 saying to run keys init, and writes nothing', async () => {
    await withStore((store) => signTestCheckpoint(store.db, signer, new Date().toISOString()));
    const r = await run(['evidence', 'export', inc, '-o', 'nokey.zip']);
    expectExit(r, 2);
    expect(r.stderr).toContain('closeloop keys init');
    expect(existsSync(path.join(dir, 'nokey.zip'))).toBe(false);
    appendFileSync(path.join(dir, 'closeloop.yaml'), '\naudit:\n  signing_key: signing-key.pem\n');
  });

  it('exports an incident to a file and to the evidence location, the same bytes, and verifies it offline', async () => {
    const r = await run(['evidence', 'export', inc, '-o', 'out.zip', '--json']);
    expectExit(r, 0);
    expect(r.json()).toMatchObject({ incidents: [inc], name: `${inc}.zip` });
    bundle = readFileSync(path.join(dir, 'out.zip'));
    expectExit(await run(['evidence', 'export', inc, '--to-evidence-location']), 0);
    const located = path.join(dir, 'evidence', `${inc}.zip`);
    expect(readFileSync(located).equals(Buffer.from(bundle))).toBe(true);
    const v = await verify('out.zip', '--pubkey', 'public-key.pem');
    expectExit(v, 0);
    expect(v.json()).toMatchObject({ ok: true, incidentIds: [inc], keySource: 'pinned' });
    const human = await inProcessCli(dir, ['evidence', 'verify', 'out.zip'], { CLOSELOOP_DB: path.join(dir, 'absent.db') });
    expectExit(human, 0);
    expect(human.stdout).toContain('pin it with --pubkey');
    expect(existsSync(path.join(dir, 'absent.db'))).toBe(false);
  });

  it('exports a seeded sample', async () => {
    const day = new Date().toISOString().slice(0, 10);
    const r = await run(['evidence', 'export', '--sample', '3', '--from', day, '--to', day, '--seed', 'q1', '--stratify', 'severity', '--to-evidence-location', '--json']);
    expectExit(r, 0);
    expect(r.json()).toMatchObject({ incidents: [inc], name: `sample-${day}-${day}-q1.zip` });
    expect(existsSync(path.join(dir, 'evidence', `sample-${day}-${day}-q1.zip`))).toBe(true);
  });

  it('refuses bad input with exit 2 and writes nothing', async () => {
    const before = readdirSync(dir).sort();
    expectExit(await run(['evidence', 'export', 'INC-2099-0001', '-o', 'x.zip']), 2);
    expectExit(await run(['evidence', 'export', inc]), 2);
    expectExit(await run(['evidence', 'export', '-o', 'x.zip']), 2);
    expectExit(await run(['evidence', 'export', inc, '--checkpoint', 'two', '-o', 'x.zip']), 2);
    expect(readdirSync(dir).sort()).toEqual(before);
    // a configured key file that is gone
    const yaml = readFileSync(path.join(dir, 'closeloop.yaml'), 'utf8').replace('signing_key: signing-key.pem', 'signing_key: missing-key.pem');
    writeFileSync(path.join(dir, 'missing-key.yaml'), yaml);
    const missing = await inProcessCli(dir, ['evidence', 'export', inc, '-o', 'x.zip'], { CLOSELOOP_DB: path.join(dir, 'closeloop.db'), CLOSELOOP_ACTOR: 'alice', CLOSELOOP_CONFIG: path.join(dir, 'missing-key.yaml') });
    expectExit(missing, 2);
    expect(missing.stderr).toContain('missing-key.pem');
    expect(existsSync(path.join(dir, 'x.zip'))).toBe(false);
    writeFileSync(path.join(dir, 'not-a-zip.zip'), 'hello');
    const notZip = await verify('not-a-zip.zip');
    expectExit(notZip, 2);
    expect(notZip.stdout).toContain('not a zip');
    const files = unzip(bundle);
    files.delete(MANIFEST);
    writeFileSync(path.join(dir, 'no-manifest.zip'), rezip(files));
    expectExit(await verify('no-manifest.zip'), 2);
    writeFileSync(path.join(dir, 'foreign.zip'), rezip(new Map([[MANIFEST, Buffer.from('{"format":"something-else"}')]])));
    expectExit(await verify('foreign.zip'), 2);
    expectExit(await verify('absent.zip'), 2);
    // an entry declaring 4 GiB is refused before anything is inflated
    const bomb = Buffer.from(bundle);
    const cd = bomb.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    bomb.writeUInt32LE(0xffffff00, cd + 24);
    writeFileSync(path.join(dir, 'bomb.zip'), bomb);
    const big = await verify('bomb.zip');
    expectExit(big, 2);
    expect(big.stdout).toContain('unpacks to more than');
    expectExit(await verify('out.zip', '--pubkey', 'no-such-key.pem'), 2);
  });

  const createHashHex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

  /** Writes the bundle with `change` applied and verifies it; expects exit 1 with a problem naming `file`. */
  async function tampered(what: string, file: string, change: (files: Map<string, Uint8Array>) => void, ...more: string[]): Promise<void> {
    const files = unzip(bundle);
    change(files);
    const name = `tampered-${what.replace(/[^a-z0-9]+/gi, '-')}.zip`;
    writeFileSync(path.join(dir, name), rezip(files));
    const r = await verify(name, ...more);
    expectExit(r, 1, what);
    const problems = r.json().problems as string[];
    expect(problems.some((p) => (p.split(': ')[0] ?? '').split(' / ').includes(file)), `${what}: ${problems.join(' | ')}`).toBe(true);
  }

  const flipByte = (files: Map<string, Uint8Array>, name: string, at = 10): void => {
    const b = Buffer.from(files.get(name) ?? new Uint8Array());
    b[at] = (b[at] ?? 0) ^ 0x01;
    files.set(name, b);
  };
  const editJson = (files: Map<string, Uint8Array>, name: string, edit: (v: Record<string, unknown>) => void): void => {
    const v = JSON.parse(Buffer.from(files.get(name) ?? new Uint8Array()).toString('utf8')) as Record<string, unknown>;
    edit(v);
    files.set(name, Buffer.from(JSON.stringify(v)));
  };

  it('fails naming the file on a changed byte of each kind of file, an added file and a removed file', async () => {
    for (const name of unzip(bundle).keys()) {
      if (name === SIGNATURE) continue;
      await tampered(`byte of ${name}`, name === PUBLIC_KEY ? PUBLIC_KEY : name, (f) => flipByte(f, name, name === PUBLIC_KEY ? 40 : 12));
    }
    await tampered('manifest signature', SIGNATURE, (f) => flipByte(f, SIGNATURE, 3));
    await tampered('added file', 'incidents/extra.json', (f) => f.set('incidents/extra.json', Buffer.from('{}')));
    await tampered('removed file', `incidents/${inc}/notifications.json`, (f) => f.delete(`incidents/${inc}/notifications.json`));
  });

  it('fails on a manifest digest changed, another key pinned, or a bundle re-signed with another key', async () => {
    await tampered('manifest digest', SIGNATURE, (f) =>
      editJson(f, MANIFEST, (m) => {
        const files = m.files as { sha256: string }[];
        if (files[0]) files[0].sha256 = '0'.repeat(64);
      }),
    );
    await tampered('wrong pinned key', PUBLIC_KEY, () => undefined, '--pubkey', 'other-key.pem');
    const other = generateSigningKeyPair();
    const otherSigner = signerFromPem(other.privateKeyPem);
    await tampered(
      're-signed by another key',
      PUBLIC_KEY,
      (f) => {
        f.set(PUBLIC_KEY, Buffer.from(other.publicKeyPem));
        editJson(f, MANIFEST, (m) => {
          for (const e of m.files as { path: string; sha256: string }[]) if (e.path === PUBLIC_KEY) e.sha256 = '';
        });
        f.set(SIGNATURE, Buffer.from(otherSigner.sign(Buffer.from(f.get(MANIFEST) ?? new Uint8Array()))));
      },
      '--pubkey',
      'public-key.pem',
    );
  });

  it('fails on each forged proof element and on a forged checkpoint root, size or signature, even with the manifest re-signed', async () => {
    const events = auditEventsPath(inc);
    /** Applies `change`, then re-digests and re-signs the manifest with the right key: only the proofs can catch it. */
    const resigned = (change: (f: Map<string, Uint8Array>) => void) => (f: Map<string, Uint8Array>) => {
      change(f);
      editJson(f, MANIFEST, (m) => {
        for (const e of m.files as { path: string; sha256: string }[]) {
          const bytes = f.get(e.path);
          if (bytes !== undefined) e.sha256 = createHashHex(bytes);
        }
      });
      f.set(SIGNATURE, Buffer.from(signer.sign(Buffer.from(f.get(MANIFEST) ?? new Uint8Array()))));
    };
    // re-signing alone leaves a bundle that verifies: what fails below is the forged element
    const untouched = unzip(bundle);
    resigned(() => undefined)(untouched);
    writeFileSync(path.join(dir, 'resigned.zip'), rezip(untouched));
    expectExit(await verify('resigned.zip', '--pubkey', 'public-key.pem'), 0);
    const first = JSON.parse(Buffer.from(unzip(bundle).get(events) ?? new Uint8Array()).toString('utf8')) as { events: { proof: { path: string[] } }[] };
    const pathLength = first.events[0]?.proof.path.length ?? 0;
    expect(pathLength).toBeGreaterThan(0);
    for (let i = 0; i < pathLength; i++) {
      await tampered(`proof element ${i}`, events, resigned((f) => editJson(f, events, (v) => {
        const e = (v.events as { proof: { path: string[] } }[])[0];
        if (e) e.proof.path[i] = `${e.proof.path[i]?.slice(0, 63) ?? ''}${e.proof.path[i]?.endsWith('0') ? '1' : '0'}`;
      })));
    }
    await tampered('proof leaf index', events, resigned((f) => editJson(f, events, (v) => {
      const e = (v.events as { proof: { leaf_index: number } }[])[0];
      if (e) e.proof.leaf_index += 1;
    })));
    await tampered('event edited', events, resigned((f) => editJson(f, events, (v) => {
      const e = (v.events as { actor: string }[])[0];
      if (e) e.actor = 'mallory';
    })));
    await tampered('checkpoint root', CHECKPOINT, resigned((f) => editJson(f, CHECKPOINT, (c) => void (c.root_hash = '1'.repeat(64)))));
    await tampered('checkpoint size', CHECKPOINT, resigned((f) => editJson(f, CHECKPOINT, (c) => void (c.tree_size = (c.tree_size as number) + 1))));
    await tampered('checkpoint signature', CHECKPOINT, resigned((f) => editJson(f, CHECKPOINT, (c) => void (c.signature = signer.sign('something else')))));
  });
});
