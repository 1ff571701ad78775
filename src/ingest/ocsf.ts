/**
 * OCSF finding importer: Detection Finding (class_uid 2004) events, and the older Security Finding
 * (2001) they replaced, mapped onto closeloop's SignalRecord. Detection tools (GuardDuty, Okta,
 * Prowler, EDRs via Security Lake) already export OCSF, so a SOC can feed their detections in as
 * evidence without a custom converter.
 *
 * Layouts accepted: NDJSON (one event a line), a JSON array of events, or a single JSON object.
 *
 * Classes: 2004 and 2001 are mapped; anything else (2002 Vulnerability Finding, 2003 Compliance
 * Finding, activity classes, …) is an ImportError naming the record and `class_uid`: those are
 * not behaviour observed on an asset, and silently turning them into signals would invent
 * evidence. 2001 differs from 2004 mainly in naming its finding object `finding` instead of
 * `finding_info`; both are read.
 *
 * Field mapping:
 *
 * | SignalRecord | OCSF |
 * |---|---|
 * | id | metadata.uid, else finding_info.uid (2001: finding.uid) |
 * | time | `time` (epoch ms; values below 1e11 are taken as epoch *seconds*, which Okta and Prowler emit), else `time_dt` when it is RFC 3339 with an offset; stored as UTC ISO 8601 |
 * | asset | resources[0].uid, resources[0].name, device.hostname, device.uid, device.ip, device.name, else an observable named `hostname` (Falco) |
 * | kind | see the kind table below |
 * | vulnerability | first vulnerabilities[].cve.uid |
 * | component | first vulnerabilities[].affected_packages[].name |
 * | source | metadata.product.name |
 * | indicator | first evidences[].src_endpoint.ip / .hostname / .domain |
 * | payload | first non-empty string evidences[].data |
 * | alert | finding_info.title |
 * | confidence | confidence_id 1/2/3 → low/medium/high, else `confidence` as a word, else a 0–100 score (`confidence_score` or a numeric `confidence`): < 40 low, < 70 medium, else high |
 * | extra.ocsf | class, type, severity, status, finding uid, types, tactics, techniques, message, desc, and `kind_from` (what decided the kind) |
 *
 * Kind: the first rule that matches wins, in this order of evidence (most specific first):
 * 1. ATT&CK techniques and sub-techniques in finding_info.attacks[] (or a top-level attacks[]),
 *    by id (a sub-technique id falls back to its parent) and then by the keyword rules:
 *    T1505.003 Web Shell → webshell; T1190 Exploit Public-Facing Application, T1203, T1210, T1211,
 *    T1212, T1068 (exploitation for …) → exploit_attempt; T1078 Valid Accounts, T1110 Brute Force
 *    → abnormal_auth; T1550, T1528, T1606, T1539 (tokens, session cookies) → unusual_token;
 *    T1059 Command and Scripting Interpreter → suspicious_process; T1021 Remote Services, T1570
 *    → lateral_movement; T1071, T1090, T1105, T1568, T1573 → attacker_infrastructure;
 *    T1005, T1530, T1213, T1041, T1048, T1567 → data_access; T1505, T1547, T1053, T1543, T1136 →
 *    persistence.
 * 2. ATT&CK tactics (attacks[].tactic, by id or name): Initial Access → exploit_attempt;
 *    Execution → suspicious_process; Persistence → persistence; Privilege Escalation, Defense
 *    Evasion, Discovery, Impact → post_exploit (attacker already acting inside); Credential Access
 *    → abnormal_auth; Lateral Movement → lateral_movement; Collection, Exfiltration → data_access;
 *    Command and Control, Resource Development → attacker_infrastructure; Reconnaissance →
 *    suspicious_payload (probing, not yet exploitation).
 * 3. finding_info.types[] (e.g. ASFF `TTPs/Defense Evasion/Stealth:…`, GuardDuty
 *    `UnauthorizedAccess:EC2/SSHBruteForce`): keyword rules first, then any `/`- or `:`-separated
 *    segment that names a tactic.
 * 4. The analytic name, then the finding title, by keyword rules.
 * Keyword rules (case-insensitive, in order): web shell → webshell; exploit → exploit_attempt;
 * token / session cookie / session hijack → unusual_token; brute force, password spray,
 * credential stuffing, login/logon/sign-in/authentication failure, impossible travel, MFA
 * fatigue, valid accounts, credential access, unusual user behaviour → abnormal_auth;
 * unauthorized access → unauthorized_access; lateral movement → lateral_movement; persistence,
 * kernel module, rootkit → persistence; exfiltration, data access, sensitive data → data_access;
 * command and control, C&C, C2, backdoor, cryptocurrency, malicious IP/domain, sinkhole, Tor →
 * attacker_infrastructure; malware, trojan, ransomware, miner, suspicious process, web/reverse
 * shell execution → suspicious_process; privilege escalation, defense evasion, stealth →
 * post_exploit; recon, port probe/scan → suspicious_payload.
 * 5. Nothing matched → `suspicious_payload`. It is the weakest kind on purpose: it counts as
 *    observed exploitation only when the signal is tied to the vulnerable path (same
 *    vulnerability, or same asset and component), so an unclassified detection never escalates on
 *    its own, yet it is kept as evidence and shown in the handoff note.
 *
 * Optional fields a producer fills inconsistently (confidence, indicator, payload) are read
 * leniently: an unusable value becomes null rather than rejecting the event. Required facts
 * (class_uid, id, time, asset) are errors naming the record and field.
 */
import type { Confidence, SignalKind, SignalRecord } from '../domain/records.js';
import { ImportError } from '../errors.js';
import { describe, isObject, isRfc3339, setOwn } from './record-fields.js';
import type { JsonObject } from './record-fields.js';
import { readNdjson, streamJson } from './stream/json-stream.js';
import { firstSignificantByte, peekSource } from './stream/peek.js';
import type { ByteSource, ImportItem, ParseContext, Parser } from './types.js';

/** OCSF class_uid values this importer maps to signals. */
export const OCSF_SIGNAL_CLASSES: Readonly<Record<number, string>> = {
  2004: 'Detection Finding',
  2001: 'Security Finding',
};

const OTHER_CLASSES: Readonly<Record<number, string>> = {
  2002: 'Vulnerability Finding (import it as a scanner report, not as signals)',
  2003: 'Compliance Finding',
  2005: 'Incident Finding',
  2006: 'Data Security Finding',
};

function obj(v: unknown): JsonObject | null {
  return isObject(v) ? v : null;
}

function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function str(v: unknown): string | null {
  if (typeof v === 'string' && v.trim() !== '') return v;
  return null;
}

/** Technique ids → kind; a sub-technique id (T1505.003) is tried before its parent (T1505). */
const TECHNIQUES: Readonly<Record<string, SignalKind>> = {
  'T1505.003': 'webshell',
  T1190: 'exploit_attempt',
  T1203: 'exploit_attempt',
  T1210: 'exploit_attempt',
  T1211: 'exploit_attempt',
  T1212: 'exploit_attempt',
  T1068: 'exploit_attempt',
  T1078: 'abnormal_auth',
  T1110: 'abnormal_auth',
  T1550: 'unusual_token',
  T1528: 'unusual_token',
  T1606: 'unusual_token',
  T1539: 'unusual_token',
  T1059: 'suspicious_process',
  T1021: 'lateral_movement',
  T1570: 'lateral_movement',
  T1071: 'attacker_infrastructure',
  T1090: 'attacker_infrastructure',
  T1105: 'attacker_infrastructure',
  T1568: 'attacker_infrastructure',
  T1573: 'attacker_infrastructure',
  T1005: 'data_access',
  T1530: 'data_access',
  T1213: 'data_access',
  T1041: 'data_access',
  T1048: 'data_access',
  T1567: 'data_access',
  T1505: 'persistence',
  T1547: 'persistence',
  T1053: 'persistence',
  T1543: 'persistence',
  T1136: 'persistence',
};

/** ATT&CK tactics by id and by lower-case name. */
const TACTICS: Readonly<Record<string, SignalKind>> = {
  TA0043: 'suspicious_payload',
  reconnaissance: 'suspicious_payload',
  TA0042: 'attacker_infrastructure',
  'resource development': 'attacker_infrastructure',
  TA0001: 'exploit_attempt',
  'initial access': 'exploit_attempt',
  TA0002: 'suspicious_process',
  execution: 'suspicious_process',
  TA0003: 'persistence',
  persistence: 'persistence',
  TA0004: 'post_exploit',
  'privilege escalation': 'post_exploit',
  TA0005: 'post_exploit',
  'defense evasion': 'post_exploit',
  TA0006: 'abnormal_auth',
  'credential access': 'abnormal_auth',
  TA0007: 'post_exploit',
  discovery: 'post_exploit',
  TA0008: 'lateral_movement',
  'lateral movement': 'lateral_movement',
  TA0009: 'data_access',
  collection: 'data_access',
  TA0011: 'attacker_infrastructure',
  'command and control': 'attacker_infrastructure',
  TA0010: 'data_access',
  exfiltration: 'data_access',
  TA0040: 'post_exploit',
  impact: 'post_exploit',
};

/** A case-insensitive regex matching any of the alternatives (`_`, `-` or a space between words). */
function anyOf(...alternatives: string[]): RegExp {
  return new RegExp(alternatives.map((a) => a.replace(/ /g, '[\\s_-]?')).join('|'), 'i');
}

/** Keyword rules for free text, in priority order (see the module comment). */
const KEYWORDS: readonly (readonly [RegExp, SignalKind])[] = [
  [anyOf('web shell'), 'webshell'],
  [anyOf('exploit'), 'exploit_attempt'],
  [anyOf('\\btokens?\\b', 'session (cookie|hijack)'), 'unusual_token'],
  [
    anyOf(
      'brute force',
      'password spray',
      'credential stuffing',
      '(log [io]n|sign in|authentication|auth) fail',
      'impossible travel',
      'mfa (fatigue|bomb)',
      'valid accounts',
      'credential access',
      'unusual behaviou?rs?/user',
    ),
    'abnormal_auth',
  ],
  [anyOf('unauthori[sz]ed access'), 'unauthorized_access'],
  [anyOf('lateral movement'), 'lateral_movement'],
  [anyOf('persistence', 'kernel module', 'rootkit'), 'persistence'],
  [anyOf('exfiltration', 'data access', 'sensitive data'), 'data_access'],
  [
    anyOf(
      'command and control',
      'c&c',
      '\\bc2\\b',
      'backdoor',
      'cryptocurrency',
      'bitcoin',
      'malicious (ip|domain|host)',
      'sinkhole',
      '\\btor\\b',
    ),
    'attacker_infrastructure',
  ],
  [
    anyOf('malware', 'trojan', 'ransomware', 'cryptominer', 'coin miner', '\\bminers?\\b', 'suspicious process', 'reverse shell'),
    'suspicious_process',
  ],
  [anyOf('privilege escalation', 'defen[cs]e evasion', 'stealth'), 'post_exploit'],
  [anyOf('\\brecon', 'port (probe|scan)'), 'suspicious_payload'],
];

function byKeyword(text: string): SignalKind | null {
  for (const [re, kind] of KEYWORDS) if (re.test(text)) return kind;
  return null;
}

function byTechnique(uid: string | null, name: string | null): SignalKind | null {
  if (uid !== null) {
    const id = uid.trim().toUpperCase();
    const exact = TECHNIQUES[id];
    if (exact !== undefined) return exact;
    const parent = TECHNIQUES[id.split('.')[0] ?? ''];
    if (parent !== undefined) return parent;
  }
  return name === null ? null : byKeyword(name);
}

function byTactic(text: string | null): SignalKind | null {
  if (text === null) return null;
  const t = text.trim();
  return TACTICS[t.toUpperCase()] ?? TACTICS[t.toLowerCase()] ?? null;
}

/** The kind chosen for an OCSF finding and what decided it (kept in extra.ocsf.kind_from). */
export interface KindDecision {
  kind: SignalKind;
  from: string;
}

/** Attack entries: finding_info.attacks[] (1.1+) or a top-level attacks[] (1.0). */
function attacksOf(event: JsonObject, finding: JsonObject): JsonObject[] {
  const list = [...arr(finding.attacks), ...arr(event.attacks)];
  return list.flatMap((a) => {
    const o = obj(a);
    return o === null ? [] : [o];
  });
}

/**
 * Decides the signal kind of an OCSF finding (see the module comment for the table). Exported so
 * the mapping can be tested and explained on its own.
 */
export function ocsfSignalKind(event: JsonObject): KindDecision {
  const finding = obj(event.finding_info) ?? obj(event.finding) ?? {};
  const attacks = attacksOf(event, finding);
  for (const a of attacks) {
    for (const key of ['sub_technique', 'technique']) {
      const t = obj(a[key]);
      if (t === null) continue;
      const kind = byTechnique(str(t.uid), str(t.name));
      if (kind !== null) return { kind, from: `attacks[].${key} ${str(t.uid) ?? str(t.name) ?? ''}`.trim() };
    }
  }
  for (const a of attacks) {
    const tactics = [obj(a.tactic), ...arr(a.tactics).map(obj)];
    for (const t of tactics) {
      if (t === null) continue;
      const kind = byTactic(str(t.uid)) ?? byTactic(str(t.name));
      if (kind !== null) return { kind, from: `attacks[].tactic ${str(t.name) ?? str(t.uid) ?? ''}`.trim() };
    }
  }
  for (const type of arr(finding.types)) {
    const text = str(type);
    if (text === null) continue;
    const kw = byKeyword(text);
    if (kw !== null) return { kind: kw, from: `types ${text}` };
    for (const segment of text.split(/[/:]/)) {
      const kind = byTactic(segment);
      if (kind !== null) return { kind, from: `types ${text}` };
    }
  }
  const analytic = obj(finding.analytic) ?? obj(event.analytic);
  for (const [label, text] of [
    ['analytic', analytic === null ? null : str(analytic.name)],
    ['title', str(finding.title)],
  ] as const) {
    if (text === null) continue;
    const kind = byKeyword(text);
    if (kind !== null) return { kind, from: `${label} ${text}` };
  }
  return { kind: 'suspicious_payload', from: 'default' };
}

function eventTime(event: JsonObject, ctx: ParseContext, record: string | number): string {
  const t = event.time;
  if (typeof t === 'number' && Number.isFinite(t)) {
    // OCSF says epoch milliseconds; several producers write seconds. 1e11 ms is 1973 and 1e11 s
    // is the year 5138, so the magnitude tells them apart.
    const ms = Math.abs(t) < 1e11 ? t * 1000 : t;
    const d = new Date(ms);
    if (!Number.isNaN(d.getTime()) && d.getUTCFullYear() >= 1970 && d.getUTCFullYear() <= 9999) {
      return d.toISOString();
    }
  }
  const dt = event.time_dt;
  if (typeof dt === 'string' && isRfc3339(dt)) {
    const ms = Date.parse(dt.toUpperCase().replace(' ', 'T'));
    return Number.isNaN(ms) ? dt : new Date(ms).toISOString();
  }
  if (t === undefined && dt === undefined) {
    throw new ImportError(ctx.file, record, 'time', 'missing: expected time (epoch milliseconds) or time_dt');
  }
  throw new ImportError(
    ctx.file,
    record,
    t === undefined ? 'time_dt' : 'time',
    `expected epoch milliseconds in time or an RFC 3339 time_dt with offset, got ${describe(t ?? dt)}`,
  );
}

function eventAsset(event: JsonObject): string | null {
  const resource = obj(arr(event.resources)[0]);
  const device = obj(event.device);
  const candidates: unknown[] = [
    resource?.uid,
    resource?.name,
    device?.hostname,
    device?.uid,
    device?.ip,
    device?.name,
  ];
  for (const c of candidates) {
    const s = str(c);
    if (s !== null) return s;
  }
  for (const o of arr(event.observables)) {
    const ob = obj(o);
    if (ob !== null && (ob.name === 'hostname' || ob.name === 'device.hostname')) {
      const s = str(ob.value);
      if (s !== null) return s;
    }
  }
  return null;
}

function confidenceWord(v: unknown): Confidence | null {
  if (typeof v !== 'string') return null;
  const w = v.trim().toLowerCase();
  return w === 'low' || w === 'medium' || w === 'high' ? w : null;
}

function confidenceScore(v: unknown): Confidence | null {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 100) return null;
  if (v < 40) return 'low';
  if (v < 70) return 'medium';
  return 'high';
}

function eventConfidence(event: JsonObject): Confidence | null {
  const id = event.confidence_id;
  if (id === 1) return 'low';
  if (id === 2) return 'medium';
  if (id === 3) return 'high';
  return confidenceWord(event.confidence) ?? confidenceScore(event.confidence_score) ?? confidenceScore(event.confidence);
}

function firstVulnerability(event: JsonObject): { cve: string | null; component: string | null } {
  let cve: string | null = null;
  let component: string | null = null;
  for (const v of arr(event.vulnerabilities)) {
    const vo = obj(v);
    if (vo === null) continue;
    cve ??= str(obj(vo.cve)?.uid);
    for (const p of arr(vo.affected_packages)) component ??= str(obj(p)?.name);
  }
  return { cve, component };
}

function evidenceDetails(event: JsonObject): { indicator: string | null; payload: string | null } {
  let indicator: string | null = null;
  let payload: string | null = null;
  for (const e of arr(event.evidences)) {
    const eo = obj(e);
    if (eo === null) continue;
    const src = obj(eo.src_endpoint);
    indicator ??= str(src?.ip) ?? str(src?.hostname) ?? str(src?.domain);
    payload ??= str(eo.data);
  }
  return { indicator, payload };
}

function strings(v: unknown): string[] {
  return arr(v).flatMap((s) => (typeof s === 'string' ? [s] : []));
}

/**
 * Maps one OCSF event to a SignalRecord, or throws an ImportError naming the record and field.
 * Exported so other importers (e.g. a Security Lake reader) map events the same way.
 */
export function signalFromOcsf(value: unknown, ctx: ParseContext, record: string | number): SignalRecord {
  if (!isObject(value)) {
    throw new ImportError(ctx.file, record, null, `expected an OCSF event object, got ${describe(value)}`);
  }
  const event = value;
  const classUid = event.class_uid;
  if (classUid === undefined || classUid === null) {
    throw new ImportError(ctx.file, record, 'class_uid', 'missing: expected 2004 (Detection Finding)');
  }
  if (typeof classUid !== 'number') {
    throw new ImportError(ctx.file, record, 'class_uid', `expected a number (2004), got ${describe(classUid)}`);
  }
  if (OCSF_SIGNAL_CLASSES[classUid] === undefined) {
    const known = OTHER_CLASSES[classUid];
    throw new ImportError(
      ctx.file,
      record,
      'class_uid',
      `class ${classUid}${known === undefined ? '' : ` (${known})`} is not accepted as signals: ` +
        'expected 2004 (Detection Finding) or 2001 (Security Finding)',
    );
  }
  const finding = obj(event.finding_info) ?? obj(event.finding) ?? {};
  const metadata = obj(event.metadata) ?? {};
  const id = str(metadata.uid) ?? str(finding.uid);
  const legacy = event.finding_info === undefined && event.finding !== undefined;
  if (id === null) {
    throw new ImportError(
      ctx.file,
      record,
      'metadata.uid',
      `missing: an event id is required (metadata.uid or ${legacy ? 'finding' : 'finding_info'}.uid)`,
    );
  }
  const time = eventTime(event, ctx, record);
  const asset = eventAsset(event);
  if (asset === null) {
    throw new ImportError(
      ctx.file,
      record,
      'resources',
      'missing: no asset (expected resources[0].uid or .name, or device.hostname, device.uid or device.ip)',
    );
  }
  const decision = ocsfSignalKind(event);
  const vuln = firstVulnerability(event);
  const evidence = evidenceDetails(event);
  const attacks = attacksOf(event, finding);
  const ocsf: JsonObject = {
    class_uid: classUid,
    class_name: str(event.class_name) ?? str(event.classname) ?? OCSF_SIGNAL_CLASSES[classUid],
    type_uid: event.type_uid ?? null,
    activity_name: str(event.activity_name),
    severity: str(event.severity),
    severity_id: event.severity_id ?? null,
    status: str(event.status),
    status_code: str(event.status_code),
    finding_uid: str(finding.uid),
    types: strings(finding.types),
    tactics: attacks.flatMap((a) => {
      const n = str(obj(a.tactic)?.name);
      return n === null ? [] : [n];
    }),
    techniques: attacks.flatMap((a) => {
      const t = obj(a.technique);
      const n = str(t?.uid) ?? str(t?.name);
      return n === null ? [] : [n];
    }),
    message: str(event.message),
    desc: str(finding.desc),
    src_url: str(finding.src_url),
    kind_from: decision.from,
  };
  return {
    id,
    time,
    asset,
    kind: decision.kind,
    vulnerability: vuln.cve,
    component: vuln.component,
    source: str(obj(metadata.product)?.name),
    indicator: evidence.indicator,
    payload: evidence.payload,
    alert: str(finding.title),
    confidence: eventConfidence(event),
    extra: { ocsf },
  };
}

/** The first line of `head` when it is complete (or the whole head at end of input). */
function firstLineParses(head: Buffer, complete: boolean): boolean {
  const nl = head.indexOf(0x0a);
  if (nl < 0 && !complete) return false;
  const line = head.subarray(0, nl < 0 ? head.length : nl).toString('utf8').replace(/^\uFEFF/, '');
  try {
    return isObject(JSON.parse(line));
  } catch {
    return false;
  }
}

/**
 * Streams signals from OCSF events. `[` starts a JSON array (record = index); `{` is NDJSON when
 * the first line is a whole JSON object (record = line), otherwise a single pretty-printed event
 * (record = `$`). An empty input yields nothing.
 */
export async function* parseOcsf(source: ByteSource, ctx: ParseContext): AsyncGenerator<ImportItem> {
  const limit = 1 << 20;
  const peeked = await peekSource(
    source,
    1,
    (head) => {
      const b = firstSignificantByte(head);
      return b !== -1 && (b !== 0x7b || head.includes(0x0a));
    },
    limit,
  );
  const b = firstSignificantByte(peeked.head);
  if (b === -1) return;
  if (b === 0x7b && firstLineParses(peeked.head, peeked.head.length < limit)) {
    for await (const { line, value } of readNdjson(peeked.source, ctx)) {
      yield { kind: 'signal', record: signalFromOcsf(value, ctx, line) };
    }
    return;
  }
  if (b !== 0x7b && b !== 0x5b) {
    throw new ImportError(ctx.file, null, null, 'expected OCSF events: a JSON object, a JSON array or NDJSON');
  }
  const single: JsonObject = {};
  let isSingle = false;
  for await (const m of streamJson(peeked.source, [['*']], ctx)) {
    const key = m.path[0];
    if (typeof key === 'number') {
      yield { kind: 'signal', record: signalFromOcsf(m.value, ctx, key) };
    } else if (key !== undefined) {
      isSingle = true;
      setOwn(single, key, m.value);
    }
  }
  if (isSingle || b === 0x7b) yield { kind: 'signal', record: signalFromOcsf(single, ctx, '$') };
}

/** `--format ocsf`: OCSF Detection Finding (2004) / Security Finding (2001) events as signals. */
export const ocsfParser: Parser = { format: 'ocsf', parse: parseOcsf };
