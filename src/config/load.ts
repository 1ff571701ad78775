import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { parseDocument, stringify } from 'yaml';
import { ClError } from '../errors.js';
import { configSchema, type Config } from './schema.js';

export const DEFAULT_CONFIG_FILE = 'closeloop.yaml';

export function configPathFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return env.CLOSELOOP_CONFIG && env.CLOSELOOP_CONFIG.trim() !== '' ? env.CLOSELOOP_CONFIG : DEFAULT_CONFIG_FILE;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** A key path as a person reads it: `routing.roles.service_owner[0].channel`. */
export function configKey(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}

/** Validates a parsed configuration; errors name the key and what is expected. */
export function validateConfig(raw: unknown, source: string): Config {
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => {
      const key = i.path.length > 0 ? configKey(i.path) : '(top level)';
      return `${key}: ${i.message}`;
    });
    throw new ClError('CL_CONFIG_INVALID', `invalid configuration in ${source}:\n  ${problems.join('\n  ')}`, { problems });
  }
  return deepFreeze(parsed.data);
}

/** Reads, validates and freezes closeloop.yaml. */
export function loadConfig(file: string = configPathFromEnv()): Config {
  if (!existsSync(file)) {
    throw new ClError(
      'CL_CONFIG_INVALID',
      `no configuration at ${file}: run \`closeloop init --by YOUR_NAME\` to write one, or set CLOSELOOP_CONFIG`,
    );
  }
  const doc = parseDocument(readFileSync(file, 'utf8'), { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ClError('CL_CONFIG_INVALID', `${file} is not valid YAML: ${doc.errors[0]?.message ?? 'parse error'}`);
  }
  return validateConfig(doc.toJS(), file);
}

/**
 * The configuration `closeloop init` writes: every core role routed to a local mailbox directory.
 * It names no people: the people directory is in the store (`closeloop people`).
 */
export function defaultConfig(evidenceDir = './evidence'): Record<string, unknown> {
  const mailbox = (role: string) => [{ channel: 'file', address: `./outbox/${role}` }];
  return {
    version: 2,
    control_card: {
      id: 'IR-6(2)',
      version: 1,
      objective:
        'Every reported incident yields a vulnerability report-out that reaches the pre-defined roles, is acknowledged, and is followed through to remediation or an approved risk acceptance before closure.',
      owner_role: 'ir_lead',
      triggers: ['any incident that enters the formal incident workflow (has an INC id)'],
      recipient_roles: ['ir_lead', 'vuln_mgmt_owner', 'service_owner', 'eng_ops_lead', 'grc_contact'],
      workflow_steps: [
        'open the report-out task on entering eradication',
        'record each weakness (type, relation, assets, notes, corrective action) or none identified with rationale',
        'send the report-out to every recipient role',
        'each role acknowledges',
        'each weakness gets a remediation item or an approved risk acceptance',
        'third-party weaknesses: notify the vendor and record its response',
        'close through the closure gate',
      ],
      exception_rules: { approver_roles: ['risk_approver'], max_review_days: 180, requester_may_not_approve: true },
      evidence_location: evidenceDir,
    },
    workflow: {
      reportout_opens_on: 'eradication',
      ack_sla_hours: 48,
      third_party_roles: ['third_party_manager', 'contract_owner'],
      remediation_due_days: { low: 90, moderate: 60, high: 30, critical: 15 },
    },
    gate: { mode: 'hard' },
    routing: {
      roles: Object.fromEntries(
        ['ir_lead', 'vuln_mgmt_owner', 'service_owner', 'eng_ops_lead', 'grc_contact', 'third_party_manager', 'contract_owner'].map(
          (r) => [r, mailbox(r)],
        ),
      ),
      services: {},
    },
    delivery: { max_attempts: 8, backoff_seconds: 30 },
  };
}

const HEADER = `# closeloop configuration: the IR-6(2) control card, routing (role -> channel addresses,
# per-service overrides), workflow policy and the closure gate mode. People and their roles are
# in the store: \`closeloop people\`. Validated at start; see docs/configuration.md.
`;

export function writeConfig(file: string, cfg: Record<string, unknown>): void {
  // 0600: routing addresses and endpoints are for the operator's eyes only.
  writeFileSync(file, HEADER + stringify(cfg), { flag: 'wx', mode: 0o600 });
}

/**
 * Deletes a top-level section of the file, keeping the rest (comments too), and returns the
 * configuration as it now reads. A section already gone leaves the file as it is.
 */
export function removeConfigSection(file: string, key: string): Config {
  const doc = parseDocument(readFileSync(file, 'utf8'));
  if (doc.errors.length > 0) throw new ClError('CL_CONFIG_INVALID', `${file} is not valid YAML: ${doc.errors[0]?.message ?? 'parse error'}`);
  if (!doc.has(key)) return validateConfig(doc.toJS(), file);
  doc.delete(key);
  const next = validateConfig(doc.toJS(), file);
  writeAtomic(file, doc.toString());
  return next;
}

/**
 * Sets values in the file at the given paths (`['audit', 'signing_key']`), keeping the rest
 * (comments too), and returns the configuration as it now reads; nothing is written when the
 * result does not validate.
 */
export function setConfigValues(file: string, values: readonly { path: readonly string[]; value: unknown }[]): Config {
  const doc = parseDocument(readFileSync(file, 'utf8'));
  if (doc.errors.length > 0) throw new ClError('CL_CONFIG_INVALID', `${file} is not valid YAML: ${doc.errors[0]?.message ?? 'parse error'}`);
  for (const v of values) doc.setIn(v.path, v.value);
  const next = validateConfig(doc.toJS(), file);
  writeAtomic(file, doc.toString());
  return next;
}

/**
 * rename is atomic: a crash never leaves a half-written configuration. The new file is 0600. The
 * temporary file's name is unique, so two processes rewriting at once do not trip over each other.
 */
export function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, text, { flag: 'wx', mode: 0o600 });
    renameSync(tmp, file);
  } finally {
    rmSync(tmp, { force: true });
  }
}
