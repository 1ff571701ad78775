/**
 * Vulnerability response over the API: imports (upload, then a job to poll), stored triage as a
 * job, the latest decision of each finding, a finding with its verdicts and the explanation of its
 * decision, an incident's handoff note, and the control's figures for the dashboard. The shapes
 * below are the API's answers as the server writes them (src/app/jobs.ts, upload-import.ts,
 * decision-list.ts, show-finding.ts, explain-finding.ts); the routes not yet in the generated
 * document (schema.d.ts) go through apiFetch with these local shapes, the others through the typed
 * client.
 */
import { api, API_PREFIX, ApiError, apiFetch, data, errorFrom } from './client';
import type { paths } from './schema';

export const IMPORT_KINDS = ['findings', 'assets', 'vulnerabilities', 'kev', 'epss', 'signals', 'advisories'] as const;
export type ImportKind = (typeof IMPORT_KINDS)[number];

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed';

export interface JobProgress {
  records: number;
  counting?: string;
  total_bytes?: number;
  seconds: number;
}

export interface JobError {
  code: string;
  message: string;
  details?: unknown;
}

export interface Job {
  id: string;
  kind: string;
  actor: string;
  state: JobState;
  input: Record<string, unknown>;
  progress: JobProgress | null;
  result: unknown;
  error: JobError | null;
  created_at: string;
  updated_at: string;
}

export interface ListedImport {
  id: string;
  kind: string;
  format: string;
  file: string;
  sha256: string;
  counts: Record<string, unknown>;
  by: string;
  at: string;
}

export interface ListedDecision {
  decision: string;
  finding: string;
  asset: string;
  vulnerability: string;
  outcome: 'escalate' | 'stay';
  triggers: string[];
  stay_reasons: string[];
  flags: string[];
  next_actions: string[];
  ssvc: string;
  ruleset: string;
  incident: string | null;
  decided_at: string;
}

export interface DecisionPage {
  decisions: ListedDecision[];
  next: string | null;
}

export interface DecisionFilters {
  outcome?: string;
  trigger?: string;
  stay_reason?: string;
  after?: string;
  limit?: number;
}

export interface FindingVerdictView {
  id: string;
  actor: string;
  at: string;
  note: string;
  set: { validation: string | null; reachability: string | null; containment_needed: string | boolean | null };
  before: unknown;
  decision: string | null;
}

export interface FindingView {
  finding: {
    id: string;
    vulnerability: string;
    asset: string;
    component: string | null;
    version: string | null;
    source: unknown;
    status: string;
    validation: string;
    reachability: string;
    check?: string | null;
    containment_needed: string | boolean | null;
    ruled_out_by: string | null;
    verdict_at: string | null;
    first_seen: string;
    last_seen: string;
    /** Where a network scanner saw it, and from where; null for other scanners. */
    where: { port: number | null; protocol: string | null; service: string | null; vantage_point: string | null } | null;
  };
  verdicts: FindingVerdictView[];
  decision: { id: string; outcome: 'escalate' | 'stay'; triggers: string[]; stay_reasons: string[]; ruleset: string; engine: number; decided_at: string } | null;
}

export interface ExplanationLine {
  rule: string;
  holds: boolean;
  facts: string[];
}

export interface WhyView {
  decision: string;
  finding: string;
  asset: string;
  vulnerability: string;
  outcome: 'escalate' | 'stay';
  triggers: string[];
  stay_reasons: string[];
  flags: string[];
  next_actions: string[];
  ssvc: string;
  evidence: string[];
  ruleset: string;
  engine: number;
  incident: string | null;
  decided_at: string;
  explanation: ExplanationLine[];
  replay: { verified: boolean; input_hash: string | null; message: string };
}

export interface HandoffNote {
  id: string;
  decision: string;
  created_at: string;
  markdown: string;
  note: unknown;
}

export interface VerdictInput {
  validation?: string;
  reachability?: string;
  containment?: boolean | string;
  note: string;
}

export interface VerdictResult {
  id: string;
  decision: { outcome: 'escalate' | 'stay'; triggers: string[]; stay_reasons: string[] };
  incident: { incident: string; created: boolean } | null;
}

/** The control's figures (`GET /metrics`), typed from the OpenAPI document. */
export type Metrics = paths['/api/v1/metrics']['get']['responses'][200]['content']['application/json'];
export type IdList = Metrics['missing_reportout'];

const enc = encodeURIComponent;

async function getJson<T>(url: string): Promise<T> {
  const res = await apiFetch(API_PREFIX + url);
  return (await res.json()) as T;
}

async function postJson<T>(url: string, body: unknown): Promise<T> {
  const res = await apiFetch(API_PREFIX + url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return (await res.json()) as T;
}

function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}

export const getJob = (id: string) => getJson<Job>(`/jobs/${enc(id)}`);
export const listImports = async (limit = 20) => (await getJson<{ imports: ListedImport[] }>(`/imports${query({ limit })}`)).imports;
/** Starts a stored triage run (202 with the job). */
export const startTriage = async (escalate: boolean) => (await postJson<{ job: Job }>('/triage', { escalate })).job;
export const listDecisions = (f: DecisionFilters) => getJson<DecisionPage>(`/decisions${query({ ...f })}`);
export const getFinding = (id: string) => getJson<FindingView>(`/findings/${enc(id)}`);
export const getWhy = (id: string) => getJson<WhyView>(`/findings/${enc(id)}/why`);
export const setVerdict = (id: string, v: VerdictInput) => postJson<VerdictResult>(`/findings/${enc(id)}/verdict`, v);
export const getMetrics = async (): Promise<Metrics> => data(await api.GET('/api/v1/metrics'));

/** The handoff notes stored with an incident (`{ incident, notes, revisions }`, as `closeloop handoff show --json`). */
export async function getHandoff(incident: string): Promise<HandoffNote[]> {
  return (await getJson<{ notes: HandoffNote[] }>(`/incidents/${enc(incident)}/handoff`)).notes;
}

/**
 * Uploads a report as multipart/form-data (`kind`, then the file) and answers the job the server
 * started (202 `{ job }`). XMLHttpRequest, because fetch does not report upload progress; the CSRF token
 * goes as the typed client sends it.
 */
export function uploadImport(kind: ImportKind, file: File, csrfToken: string | null, onProgress: (sent: number, total: number) => void): Promise<Job> {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    form.append('kind', kind);
    form.append('file', file, file.name);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `${API_PREFIX}/imports`);
    xhr.withCredentials = true;
    if (csrfToken !== null) xhr.setRequestHeader('x-csrf-token', csrfToken);
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onerror = () => reject(new ApiError(0, 'NETWORK', 'the server cannot be reached; check your connection and try again'));
    xhr.onabort = () => reject(new ApiError(0, 'ABORTED', 'the upload was stopped before it finished; upload the file again'));
    xhr.onload = () => {
      const res = new Response(xhr.responseText, { status: xhr.status, statusText: xhr.statusText, headers: { 'content-type': xhr.getResponseHeader('content-type') ?? 'application/json' } });
      if (xhr.status < 200 || xhr.status >= 300) {
        void errorFrom(res).then(reject, reject);
        return;
      }
      try {
        resolve((JSON.parse(xhr.responseText) as { job: Job }).job);
      } catch {
        reject(new ApiError(xhr.status, 'EMPTY', 'the server sent no job for the upload; try again'));
      }
    };
    xhr.send(form);
  });
}
