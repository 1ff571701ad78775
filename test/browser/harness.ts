/**
 * The browser suite's world: a real `closeloop serve` child process (the compiled bin, dist/) on
 * 127.0.0.1 over a SQLite store in a temporary directory, filled by the CLI as an administrator
 * would (`init`, optionally `demo`, people and their passwords), and Debian's chromium driven by
 * playwright-core. Each person signs in through the sign-in form in a browser context of their own
 * (own cookies, so own session). Nothing is stubbed: every page talks to the real API.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll } from 'vitest';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';

/** The project's root folder. */
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = path.join(root, 'bin', 'closeloop.js');

/** Debian's chromium; the suite never downloads a browser. */
export const CHROMIUM = '/usr/bin/chromium';

/** A run's artefacts (page-load figures) go here, beside the other test reports. */
export const TMP = path.join(root, '.tmp');

/** A password long enough for the server's rule (at least 12 characters). */
export const PASSWORD = 'correct horse battery staple';

/** The people of the demo estate (src/app/demo.ts) the tests sign in as, by role. */
export const DEMO = {
  irLead: 'dana.whitfield',
  responder: 'sam.okafor',
  vulnOwner: 'priya.raman',
  serviceOwner: 'lucas.meyer',
  engOps: 'aiko.tanaka',
  grc: 'grace.holm',
  vendorManager: 'omar.haddad',
  contractOwner: 'elena.rossi',
  approver: 'james.carter',
  approver2: 'nadia.petrova',
  auditor: 'tom.becker',
} as const;

/** Fails the test (never skips it) when the browser is not installed. */
export function requireChromium(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium); the browser tests need it and are never skipped`);
  }
  if (!existsSync(path.join(root, 'dist', 'cli', 'main.js')) || !existsSync(path.join(root, 'dist', 'web', 'index.html'))) {
    throw new Error('dist/ is missing: run `npm run build` first (npm run test:browser does)');
  }
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A store in a temporary directory (closeloop.yaml and a SQLite file), driven by the compiled CLI. */
export interface Store {
  dir: string;
  env: Record<string, string | undefined>;
  /** Runs `closeloop ARGS --by BY` (admin by default); `input` is written to its standard input. Throws when it fails. */
  cli(args: readonly string[], opts?: { by?: string; input?: string }): CliResult;
  /** An API token of `actor` (created once, then reused). */
  token(actor: string): string;
  /** Rows of a read-only query on the store's SQLite file (to find ids the pages are opened with). */
  rows<T>(sql: string, ...params: unknown[]): T[];
  /** Gives `name` a password (`people passwd NAME --password-stdin`). */
  setPassword(name: string, password?: string): void;
  remove(): void;
}

export interface StoreOptions {
  /** Fill it with the Northwind estate (`closeloop demo`). */
  demo?: boolean;
  /** People to add beyond the demo's: name → roles. */
  people?: Record<string, readonly string[]>;
  /** People given the password PASSWORD. */
  passwords?: readonly string[];
}

export function makeStore(opts: StoreOptions = {}): Store {
  const dir = mkdtempSync(path.join(tmpdir(), 'closeloop-browser-'));
  const env: Record<string, string | undefined> = {
    ...process.env,
    CLOSELOOP_CONFIG: path.join(dir, 'closeloop.yaml'),
    CLOSELOOP_DB: path.join(dir, 'closeloop.db'),
    CLOSELOOP_ACTOR: '',
  };
  const tokens = new Map<string, string>();
  const cli: Store['cli'] = (args, o = {}) => {
    const r = spawnSync(process.execPath, [bin, ...args, '--by', o.by ?? 'admin'], { cwd: dir, env, encoding: 'utf8', input: o.input ?? '', timeout: 120_000 });
    const out = { code: r.status, stdout: r.stdout, stderr: r.stderr };
    if (r.status !== 0) throw new Error(`closeloop ${args.join(' ')} exited ${String(r.status)}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
    return out;
  };
  const store: Store = {
    dir,
    env,
    cli,
    token(actor) {
      let t = tokens.get(actor);
      if (t === undefined) {
        const r = JSON.parse(cli(['token', 'create', '--actor', actor, '--label', 'browser tests', '--json']).stdout) as { token: string };
        t = r.token;
        tokens.set(actor, t);
      }
      return t;
    },
    rows<T>(sql: string, ...params: unknown[]): T[] {
      const db = new Database(path.join(dir, 'closeloop.db'), { readonly: true, fileMustExist: true });
      try {
        return db.prepare(sql).all(...params) as T[];
      } finally {
        db.close();
      }
    },
    setPassword(name, password = PASSWORD) {
      cli(['people', 'passwd', name, '--password-stdin'], { input: `${password}\n` });
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    cli(['init']);
    if (opts.demo === true) cli(['demo']);
    for (const [name, roles] of Object.entries(opts.people ?? {})) cli(['people', 'add', name, '--roles', roles.join(',')]);
    for (const name of opts.passwords ?? []) store.setPassword(name);
  } catch (err) {
    store.remove();
    throw err;
  }
  return store;
}

/** A running `closeloop serve` child process. */
export interface Server {
  base: string;
  /** Everything it printed, to show with a failure. */
  output(): string;
  stop(): Promise<void>;
}

/** Starts `closeloop serve --port 0` on the store and waits for its "listening on" line. */
export async function startServer(store: Store): Promise<Server> {
  const child: ChildProcess = spawn(process.execPath, [bin, 'serve', '--port', '0', '--host', '127.0.0.1'], { cwd: store.dir, env: store.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let printed = '';
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => (printed += d));
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`closeloop serve did not start within 60 s:\n${printed}`)), 60_000);
    child.stdout?.on('data', (d: string) => {
      printed += d;
      const m = /listening on (https?:\/\/[^\s]+)/.exec(printed);
      if (m?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`closeloop serve exited (${String(code)}) before listening:\n${printed}`));
    });
  });
  return {
    base,
    output: () => printed,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) {
          resolve();
          return;
        }
        const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/** Debian's chromium, headless. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** Console messages about the Content Security Policy, collected from every page of a context. */
export function watchCsp(context: BrowserContext): string[] {
  const seen: string[] = [];
  const watch = (page: Page) => {
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) seen.push(`${page.url()}: ${m.text()}`);
    });
  };
  context.pages().forEach(watch);
  context.on('page', watch);
  return seen;
}

/** A person's browser: a context of their own (own cookies) and its page. */
export interface Person {
  name: string;
  context: BrowserContext;
  page: Page;
  /** CSP messages seen in the console. */
  csp: string[];
}

/** A new context on `base` (1280×800 unless said otherwise). */
export async function newPerson(browser: Browser, base: string, name = 'nobody', opts: BrowserContextOptions = {}): Promise<Person> {
  const context = await browser.newContext({ baseURL: base, viewport: { width: 1280, height: 800 }, ...opts });
  context.setDefaultTimeout(15_000);
  const csp = watchCsp(context);
  const page = await context.newPage();
  return { name, context, page, csp };
}

/** Fills the sign-in form at `at` and waits for the signed-in frame (the main navigation). */
export async function fillSignIn(page: Page, name: string, password: string, at = '/'): Promise<void> {
  await page.goto(at);
  await page.getByLabel('User name').fill(name);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  // attached, not visible: at a phone width the navigation folds into the menu button
  await page.locator('nav[aria-label="Main"]').waitFor({ state: 'attached' });
}

/** Signs `name` in through the sign-in form in a browser context of their own. */
export async function signIn(browser: Browser, base: string, name: string, password = PASSWORD, opts: BrowserContextOptions = {}): Promise<Person> {
  const person = await newPerson(browser, base, name, opts);
  await fillSignIn(person.page, name, password);
  return person;
}

/** Calls the API with `token`; returns the status and the parsed body. */
export async function api<T = Record<string, unknown>>(base: string, token: string, method: string, url: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${base}/api/v1${url}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: (text === '' ? {} : JSON.parse(text)) as T };
}

/**
 * Waits until the page's main region has its h1 and nothing in it says it is loading (`<Loading>`:
 * a status ending in "…", or aria-busy). Locators only: a string predicate would be evaluated by
 * `eval` in the page, which the server's Content Security Policy rightly forbids.
 */
export async function pageReady(page: Page): Promise<void> {
  const main = page.locator('main');
  await main.locator('h1').first().waitFor();
  await main.getByRole('status').filter({ hasText: /…\s*$/ }).first().waitFor({ state: 'detached', timeout: 15_000 });
  await main.locator('[aria-busy="true"]').first().waitFor({ state: 'detached', timeout: 15_000 });
}

/** Writes `data` as JSON under .tmp/. */
export function writeTmp(name: string, data: unknown): string {
  mkdirSync(TMP, { recursive: true });
  const file = path.join(TMP, name);
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return file;
}

/** A test file's world: a store, its server and a browser. */
export interface World {
  store: Store;
  server: Server;
  browser: Browser;
}

/**
 * Sets up a world before the file's tests and tears it down after them. The returned function
 * gives it to a test, or throws why it could not be set up: every test then fails with that reason
 * (a missing browser fails the tests, it never skips them).
 */
export function useWorld(opts: StoreOptions = {}): () => World {
  let world: Partial<World> = {};
  let failure: Error | null = null;
  beforeAll(async () => {
    try {
      requireChromium();
      world.store = makeStore(opts);
      world.server = await startServer(world.store);
      world.browser = await launchBrowser();
    } catch (err) {
      failure = err instanceof Error ? err : new Error(String(err));
    }
  });
  afterAll(async () => {
    await world.browser?.close();
    await world.server?.stop();
    world.store?.remove();
    world = {};
  });
  return () => {
    if (failure !== null) throw failure;
    const { store, server, browser } = world;
    if (store === undefined || server === undefined || browser === undefined) throw new Error('the browser world is not set up');
    return { store, server, browser };
  };
}
