/**
 * Jira Cloud and ServiceNow as far as closeloop speaks to them, on real `node:http` servers on
 * 127.0.0.1: they keep issues / records, answer the calls the channels make (search by label or
 * correlation id, create, read one), check the credential, and record every request. A test can
 * make the next create fail *after* storing (the answer is lost: 500) to prove a retry finds it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Notification } from '../../src/store/schema.js';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

export interface FakeServer {
  url: string;
  requests: RecordedRequest[];
  /** The next create stores the ticket but answers this status (a lost answer); or refuses with it when `store` is false. */
  failNextCreate(status: number, store?: boolean): void;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? null : (JSON.parse(text) as unknown);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

type Handler = (req: RecordedRequest, url: URL) => { status: number; body: unknown };

async function serve(authorization: string, handle: Handler): Promise<Omit<FakeServer, 'failNextCreate'>> {
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req, res) => {
    void readBody(req).then((body) => {
      const r: RecordedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      requests.push(r);
      if (req.headers.authorization !== authorization) return send(res, 401, { errorMessages: ['unauthorized'] });
      const out = handle(r, new URL(r.url, 'http://127.0.0.1'));
      send(res, out.status, out.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}

export interface FakeIssue {
  id: string;
  key: string;
  fields: { project: { key: string }; issuetype: { name: string }; summary: string; description: unknown; labels: string[]; status: { name: string; statusCategory: { key: string } } };
}

export interface FakeJira extends FakeServer {
  issues: Map<string, FakeIssue>;
  /** Sets an issue's status, as a person moving it in Jira would. */
  setStatus(key: string, name: string, category: string): void;
}

/** A Jira Cloud site: `/rest/api/3/search/jql`, `/rest/api/3/issue`, `/rest/api/3/issue/{key}`. */
export async function fakeJira(authorization: string): Promise<FakeJira> {
  const issues = new Map<string, FakeIssue>();
  let failing: { status: number; store: boolean } | null = null;
  const base = await serve(authorization, (r, url) => {
    if (r.method === 'GET' && url.pathname === '/rest/api/3/search/jql') {
      const m = /^labels = "([^"]+)"$/.exec(url.searchParams.get('jql') ?? '');
      if (!m) return { status: 400, body: { errorMessages: ['unsupported jql'] } };
      const found = [...issues.values()].filter((i) => i.fields.labels.includes(m[1] ?? ''));
      return { status: 200, body: { issues: found.map((i) => ({ id: i.id, key: i.key, fields: { status: i.fields.status } })) } };
    }
    if (r.method === 'POST' && url.pathname === '/rest/api/3/issue') {
      const fields = (r.body as { fields: Omit<FakeIssue['fields'], 'status'> }).fields;
      const fail = failing;
      failing = null;
      if (fail && !fail.store) return { status: fail.status, body: { errorMessages: ['refused'] } };
      const n = issues.size + 1;
      const issue: FakeIssue = { id: String(10000 + n), key: `${fields.project.key}-${n}`, fields: { ...fields, status: { name: 'To Do', statusCategory: { key: 'new' } } } };
      issues.set(issue.key, issue);
      if (fail) return { status: fail.status, body: { errorMessages: ['internal error'] } };
      return { status: 201, body: { id: issue.id, key: issue.key, self: `${url.origin}/rest/api/3/issue/${issue.id}` } };
    }
    const one = /^\/rest\/api\/3\/issue\/([^/]+)$/.exec(url.pathname);
    if (r.method === 'GET' && one) {
      const issue = issues.get(decodeURIComponent(one[1] ?? ''));
      return issue ? { status: 200, body: { id: issue.id, key: issue.key, fields: { status: issue.fields.status } } } : { status: 404, body: { errorMessages: ['Issue does not exist'] } };
    }
    return { status: 404, body: { errorMessages: ['no such endpoint'] } };
  });
  return {
    ...base,
    issues,
    failNextCreate(status, store = true) {
      failing = { status, store };
    },
    setStatus(key, name, category) {
      const issue = issues.get(key);
      if (!issue) throw new Error(`no issue ${key}`);
      issue.fields.status = { name, statusCategory: { key: category } };
    },
  };
}

export interface FakeRecord {
  sys_id: string;
  number: string;
  state: string;
  [field: string]: string;
}

export interface FakeServiceNow extends FakeServer {
  records: Map<string, FakeRecord>;
  setState(sysId: string, state: string): void;
}

/** A ServiceNow instance's Table API for one table: list with `correlation_id=` query, create, read one. */
export async function fakeServiceNow(authorization: string, table = 'incident'): Promise<FakeServiceNow> {
  const records = new Map<string, FakeRecord>();
  let failing: { status: number; store: boolean } | null = null;
  const path = `/api/now/table/${table}`;
  const base = await serve(authorization, (r, url) => {
    const pick = (rec: FakeRecord) => ({ sys_id: rec.sys_id, number: rec.number, state: rec.state });
    if (r.method === 'GET' && url.pathname === path) {
      const m = /^correlation_id=(.+)$/.exec(url.searchParams.get('sysparm_query') ?? '');
      if (!m) return { status: 400, body: { error: { message: 'unsupported query' } } };
      return { status: 200, body: { result: [...records.values()].filter((x) => x.correlation_id === m[1]).map(pick) } };
    }
    if (r.method === 'POST' && url.pathname === path) {
      const fail = failing;
      failing = null;
      if (fail && !fail.store) return { status: fail.status, body: { error: { message: 'refused' } } };
      const n = records.size + 1;
      const rec: FakeRecord = { ...(r.body as Record<string, string>), sys_id: `${'a'.repeat(31)}${n}`, number: `INC${String(n).padStart(7, '0')}`, state: '1' };
      records.set(rec.sys_id, rec);
      if (fail) return { status: fail.status, body: { error: { message: 'internal error' } } };
      return { status: 201, body: { result: pick(rec) } };
    }
    if (r.method === 'GET' && url.pathname.startsWith(`${path}/`)) {
      const rec = records.get(decodeURIComponent(url.pathname.slice(path.length + 1)));
      return rec ? { status: 200, body: { result: pick(rec) } } : { status: 404, body: { error: { message: 'No Record found' } } };
    }
    return { status: 404, body: { error: { message: 'no such endpoint' } } };
  });
  return {
    ...base,
    records,
    failNextCreate(status, store = true) {
      failing = { status, store };
    },
    setState(sysId, state) {
      const rec = records.get(sysId);
      if (!rec) throw new Error(`no record ${sysId}`);
      rec.state = state;
    },
  };
}

/** A queued ticket message for remediation item RI-0001 on route jira:SEC, with overrides. */
export function message(over: Partial<Notification> = {}): Notification {
  return {
    id: 'NT-0001', incident_id: 'INC-2026-0001', purpose: 'ticket', role: 'vuln_mgmt_owner', channel: 'jira', address: 'SEC',
    subject: '[closeloop] INC-2026-0001 RI-0001: patch openssl on web-1', body: 'Remediation item RI-0001\nOwner role: vuln_mgmt_owner\n\nClosure criteria:\npatched',
    idempotency_key: 'ticket:RI-0001:jira:SEC', status: 'queued', attempts: 0, next_attempt_at: null, message_id: null, last_error: null,
    created_at: '2026-11-28T12:00:00.000Z', sent_at: null, delivered_at: null, event: null, subject_ref: null, proof: null, round_start: 0, ...over,
  };
}

