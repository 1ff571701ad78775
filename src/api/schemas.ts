/**
 * The API's response bodies as zod schemas: what the server sends, documented in the OpenAPI
 * document (from which the web application's client is typed) and checked against real responses
 * by test/api/response-schemas.test.ts. Objects are strict (no field the schema does not name), closed
 * vocabularies are enums, and a field is nullable exactly where the store or the use case gives null.
 */
import { z } from 'zod';
import { incidentSummaryOutput } from '../app/incidents.js';
import { checkpointsVerificationSchema } from '../app/audit-verify.js';
import { SSVC_OUTCOMES, FLAGS, NEXT_ACTIONS, OUTCOMES, STAY_REASONS, TRIGGERS } from '../domain/escalation/vocabulary.js';
import { GATE_ITEMS } from '../domain/gate.js';
import { INCIDENT_SEVERITIES, INCIDENT_STATES, REMEDIATION_STATES, RISK_STATES, WEAKNESS_RELATIONS, WEAKNESS_TYPES } from '../domain/incident.js';
import { EXPOSURES, FINDING_CHECKS, REACHABILITIES, VALIDATIONS } from '../domain/records.js';

const text = z.string();
const nullableText = z.string().nullable();
const count = z.number().int().min(0);
const strings = z.array(z.string());

// ---- incidents ------------------------------------------------------------------------------

export const gateMissingSchema = z.strictObject({
  item: z.enum(GATE_ITEMS),
  subject: nullableText,
  message: text,
});

export const incidentSchema = z.strictObject({
  id: text,
  title: text,
  severity: z.enum(INCIDENT_SEVERITIES),
  state: z.enum(INCIDENT_STATES),
  service: nullableText,
  ir_lead: nullableText,
  determination: z.enum(['incident', 'non_incident']).nullable(),
  determination_rationale: nullableText,
  none_identified_rationale: nullableText,
  reportout_opened_at: nullableText,
  reportout_sent_at: nullableText,
  /** Gate items missing when the incident was closed in soft mode. */
  gate_flags: z.array(gateMissingSchema),
  opened_by: text,
  created_at: text,
  updated_at: text,
  closed_at: nullableText,
  /** The control card version in force when the incident was opened; null when it was opened before card versions were recorded. */
  control_card_version: z.number().int().nullable(),
});

export const incidentPageSchema = z.strictObject({
  /** Each with what the list shows beside it: report-out status, acknowledgments, overdue. */
  incidents: z.array(incidentSchema.extend({ summary: incidentSummaryOutput.strict() })),
  /** The `after` of the next page; null on the last page. */
  next: nullableText,
});

export const closeResultSchema = z.strictObject({
  incident: incidentSchema,
  /** Gate items that were missing; non-empty only in soft gate mode. */
  flagged: z.array(gateMissingSchema),
});

export const gateSchema = z.strictObject({
  incident: text,
  state: z.enum(INCIDENT_STATES),
  ready: z.boolean(),
  missing: z.array(gateMissingSchema),
  flags: z.array(gateMissingSchema),
});

// ---- report-out -----------------------------------------------------------------------------

export const weaknessSchema = z.strictObject({
  id: text,
  incident_id: text,
  type: z.enum(WEAKNESS_TYPES),
  relation: z.enum(WEAKNESS_RELATIONS),
  assets: strings,
  vulnerabilities: strings,
  notes: text,
  action: text,
  vendor: nullableText,
  created_by: text,
  created_at: text,
});

export const acknowledgmentSchema = z.strictObject({
  id: text,
  incident_id: text,
  role: text,
  actor: text,
  comment: nullableText,
  at: text,
  /** The report-out revision the role acknowledged. */
  revision: z.number().int(),
  via: z.enum(['cli', 'api', 'link']).nullable(),
});

export const NOTIFICATION_PURPOSES = ['reportout', 'handoff', 'reminder', 'vendor_notice', 'ticket', 'sla', 'channel_test', 'witness', 'subscription'] as const;
export const NOTIFICATION_STATES = ['queued', 'sending', 'delivered', 'failed'] as const;

export const deliveryProofSchema = z.strictObject({
  status: z.number().int().optional(),
  response: z.string().optional(),
  ticket: z.strictObject({ system: z.enum(['jira', 'servicenow']), key: text, id: text, url: z.string().optional() }).optional(),
});

export const deliveryEventSchema = z.strictObject({
  type: text,
  incident: z.strictObject({ id: text, title: text, severity: text, state: text }).nullable(),
  revision: z.number().int().optional(),
  lines: z.array(z.strictObject({ label: text, text })).optional(),
  links: z.strictObject({ incident: z.string().optional(), ack: z.string().optional() }).optional(),
  data: z.record(z.string(), z.unknown()).optional(),
});

/** An outbox message: its row, with its structured event and delivery proof. */
export const deliverySchema = z.strictObject({
  id: text,
  incident_id: nullableText,
  purpose: z.enum(NOTIFICATION_PURPOSES),
  role: text,
  channel: text,
  address: text,
  subject: text,
  body: text,
  idempotency_key: text,
  status: z.enum(NOTIFICATION_STATES),
  attempts: count,
  next_attempt_at: nullableText,
  message_id: nullableText,
  last_error: nullableText,
  created_at: text,
  sent_at: nullableText,
  delivered_at: nullableText,
  event: deliveryEventSchema.nullable(),
  subject_ref: nullableText,
  proof: deliveryProofSchema.nullable(),
  round_start: count,
});

export const sendResultSchema = z.strictObject({
  incident: incidentSchema,
  revision: z.number().int().min(1),
  notifications: z.array(deliverySchema),
  notices_opened: strings,
  acks_kept: strings,
  acks_superseded: strings,
});

// ---- follow-through -------------------------------------------------------------------------

const remediationFields = {
  id: text,
  incident_id: nullableText,
  weakness_id: nullableText,
  finding_id: nullableText,
  owner_role: text,
  assignee: text,
  criteria: text,
  due: nullableText,
  ticket: nullableText,
  status: z.enum(REMEDIATION_STATES),
  overdue_since: nullableText,
  created_at: text,
  updated_at: text,
};

export const remediationItemSchema = z.strictObject(remediationFields);

export const remediationWithHistorySchema = z.strictObject({
  ...remediationFields,
  history: z.array(z.strictObject({ seq: z.number().int(), status: z.enum(REMEDIATION_STATES), actor: text, at: text })),
});

const riskFields = {
  id: text,
  incident_id: text,
  weakness_id: text,
  requester: text,
  approver: nullableText,
  rationale: text,
  controls: text,
  review_by: text,
  state: z.enum(RISK_STATES),
  reason: nullableText,
  created_at: text,
  decided_at: nullableText,
};

export const riskAcceptanceSchema = z.strictObject(riskFields);

/** A risk acceptance with its state today (`expired` from its review date on). */
export const riskAcceptanceViewSchema = z.strictObject({ ...riskFields, effective_state: z.enum(RISK_STATES) });

export const vendorNoticeSchema = z.strictObject({
  id: text,
  incident_id: text,
  weakness_id: text,
  vendor: text,
  channel: nullableText,
  status: z.enum(['pending', 'sent', 'responded']),
  sent_at: nullableText,
  response: nullableText,
  responded_at: nullableText,
  chased_at: nullableText,
  tracking_item: nullableText,
  created_at: text,
});

// ---- the incident view ----------------------------------------------------------------------

export const messageEvidenceSchema = z.strictObject({
  id: text,
  purpose: z.enum(NOTIFICATION_PURPOSES),
  revision: z.number().int().nullable(),
  channel: text,
  address: text,
  status: z.enum(NOTIFICATION_STATES),
  attempts: count,
  delivered_at: nullableText,
  message_id: nullableText,
  proof: deliveryProofSchema.nullable(),
  last_error: nullableText,
});

export const roleEvidenceSchema = z.strictObject({
  role: text,
  messages: z.array(messageEvidenceSchema),
  acknowledgment: z
    .strictObject({ actor: text, at: text, via: z.enum(['cli', 'api', 'link']).nullable(), revision: z.number().int(), comment: nullableText })
    .nullable(),
  superseded: z.array(z.strictObject({ actor: text, at: text, via: z.enum(['cli', 'api', 'link']).nullable(), revision: z.number().int(), superseded_by: z.number().int() })),
});

export const incidentViewSchema = z.strictObject({
  incident: incidentSchema,
  assets: strings,
  weaknesses: z.array(weaknessSchema),
  notifications: z.array(deliverySchema),
  acknowledgments: z.array(acknowledgmentSchema),
  remediation: z.array(remediationWithHistorySchema),
  risk_acceptances: z.array(riskAcceptanceViewSchema),
  third_party_notices: z.array(vendorNoticeSchema),
  /** The handoff notes escalations stored on the incident (GET /incidents/{id}/handoff has their text). */
  handoff_notes: z.array(z.strictObject({ id: text, decision_id: text, created_at: text })),
  decisions: z.array(z.strictObject({ id: text, finding_id: text, outcome: z.enum(OUTCOMES), triggers: z.array(z.enum(TRIGGERS)) })),
  required_roles: strings,
  evidence: z.array(roleEvidenceSchema),
  gate: z.strictObject({ ready: z.boolean(), missing: z.array(gateMissingSchema) }),
  gate_flags: z.array(gateMissingSchema),
  grouping: z.strictObject({ keys: strings, follows: nullableText, followed_by: strings }),
});

// ---- assets ---------------------------------------------------------------------------------

export const triageCountsSchema = z.strictObject({
  run: text,
  ruleset: text,
  evaluated: count,
  by_outcome: z.record(z.string(), count),
  by_trigger: z.record(z.string(), count),
});

export const assetListSchema = z.strictObject({
  assets: z.array(
    z.strictObject({
      id: text,
      name: nullableText,
      owner: nullableText,
      exposure: z.enum(EXPOSURES),
      not_in_inventory: z.boolean(),
      target_type: nullableText,
      open_findings: count,
    }),
  ),
});

export const mergeResultSchema = z.strictObject({
  provisional: text,
  into: text,
  findings_moved: count,
  signals_moved: count,
  aliases_added: strings,
  triage: triageCountsSchema,
});

// ---- operations -----------------------------------------------------------------------------

export const dispatchSummarySchema = z.strictObject({ delivered: count, failed: count, retrying: count, no_channel: count });

export const deliveryPageSchema = z.strictObject({ deliveries: z.array(deliverySchema), next: nullableText });

export const deliveryDetailSchema = z.strictObject({
  delivery: deliverySchema,
  attempts: z.array(
    z.strictObject({
      notification_id: text,
      attempt: z.number().int(),
      at: text,
      outcome: z.enum(['delivered', 'error', 'rejected']),
      detail: nullableText,
      channel: nullableText,
      status: z.number().int().nullable(),
      message_id: nullableText,
    }),
  ),
});

export const verifyResultSchema = z.strictObject({
  ok: z.boolean(),
  events: count,
  headHash: text,
  /** The first sequence number at which the chain breaks. */
  firstBad: z.number().int().nullable(),
  problem: nullableText,
  /** Whether every record matches the state digest of its latest audit event. */
  entities: z.strictObject({
    ok: z.boolean(),
    checked: count,
    /** A record edited, deleted or inserted outside closeloop (a set by its last writer: import, triage run …). */
    problems: z.array(z.strictObject({ entity_type: text, entity_id: text, problem: text })),
  }),
  /** The signed checkpoints, the signatures after the latest and the witness (see docs/decisions/signed-checkpoints.md). */
  checkpoints: checkpointsVerificationSchema,
});

// ---- findings and decisions -----------------------------------------------------------------

/** A decision in the triage output's shape (`closeloop triage --json`). */
export const presentedDecisionSchema = z.strictObject({
  finding: text,
  asset: text,
  vulnerability: text,
  outcome: z.enum(OUTCOMES),
  triggers: z.array(z.enum(TRIGGERS)),
  stay_reasons: z.array(z.enum(STAY_REASONS)),
  flags: z.array(z.enum(FLAGS)),
  next_actions: z.array(z.enum(NEXT_ACTIONS)),
  ssvc: z.enum(SSVC_OUTCOMES),
  evidence: strings,
});

/** An escalation handed to incident response. */
export const handedOverSchema = z.strictObject({
  incident: text,
  decision: text,
  finding: text,
  /** The grouping key (`asset:<id>` or `vuln:<id>`). */
  grouping: text,
  created: z.boolean(),
  handoff: text,
  resent: z.boolean(),
});

const containment = z.union([z.boolean(), z.string()]);

export const verdictResultSchema = z.strictObject({
  id: text,
  verdict: text,
  finding: text,
  actor: text,
  at: text,
  note: text,
  validation: z.enum(VALIDATIONS),
  reachability: z.enum(REACHABILITIES),
  containment_needed: containment,
  ruled_out_by: nullableText,
  before: z.strictObject({ validation: z.enum(VALIDATIONS), reachability: z.enum(REACHABILITIES), containment_needed: containment, ruled_out_by: nullableText }),
  decision: z.strictObject({ ...presentedDecisionSchema.shape, id: text, ruleset: text }),
  incident: handedOverSchema.nullable(),
});

export const findingViewSchema = z.strictObject({
  finding: z.strictObject({
    id: text,
    vulnerability: text,
    asset: text,
    component: nullableText,
    version: nullableText,
    source: nullableText,
    status: z.enum(['open', 'resolved']),
    validation: z.enum(VALIDATIONS),
    reachability: z.enum(REACHABILITIES),
    check: z.enum(FINDING_CHECKS).nullable(),
    containment_needed: containment,
    ruled_out_by: nullableText,
    verdict_at: nullableText,
    first_seen: text,
    last_seen: text,
    /** Where a network scanner saw it (port, protocol, service) and from where (its vantage point); null for other scanners. */
    where: z
      .strictObject({ port: z.number().int().nullable(), protocol: nullableText, service: nullableText, vantage_point: nullableText })
      .nullable(),
  }),
  verdicts: z.array(
    z.strictObject({
      id: text,
      actor: text,
      at: text,
      note: text,
      set: z.strictObject({ validation: z.enum(VALIDATIONS).nullable(), reachability: z.enum(REACHABILITIES).nullable(), containment_needed: nullableText }),
      /** The finding's validation, reachability, containment and ruled_out_by before the verdict. */
      before: z.record(z.string(), z.unknown()),
      decision: nullableText,
    }),
  ),
  decision: z
    .strictObject({
      id: text,
      outcome: z.enum(OUTCOMES),
      triggers: z.array(z.enum(TRIGGERS)),
      stay_reasons: z.array(z.enum(STAY_REASONS)),
      ruleset: text,
      engine: z.number().int(),
      decided_at: text,
    })
    .nullable(),
});

// ---- imports, triage and jobs ---------------------------------------------------------------

/** What `closeloop import --json` prints: the kind's own noun (`findings`, `assets`, …) carries the count read. */
export const importSummarySchema = z
  .strictObject({
    id: nullableText,
    format: text,
    file: text,
    sha256: text,
    created: count,
    updated: count,
    unchanged: count,
    findings_not_affected: count.optional(),
    resolved: count.optional(),
    resolved_again: count.optional(),
    merged: count.optional(),
    assets_created: count.optional(),
    vulnerabilities_created: count.optional(),
    unmatched_targets: count.optional(),
    unknown_references: z.strictObject({ assets: count, vulnerabilities: count }).optional(),
    skipped: z.record(z.string(), count),
    warnings: strings,
    triage: triageCountsSchema.optional(),
    /** Set when the same bytes were imported before: nothing changed. */
    duplicate_of: nullableText,
    reimport_of: z.string().optional(),
  })
  .catchall(count);

/** What `closeloop triage --json` prints over the store (without `--all`: `decisions` is null). */
export const triageSummarySchema = z.strictObject({
  run: text,
  ruleset: text,
  evaluated: count,
  by_outcome: z.record(z.string(), count),
  by_trigger: z.record(z.string(), count),
  escalations: z.array(presentedDecisionSchema),
  decisions: z.array(presentedDecisionSchema).nullable(),
  incidents: z.array(handedOverSchema),
  revisions: z.array(z.strictObject({ incident: text, revision: z.number().int(), findings: count, assets: count })),
});

export const jobSchema = z.strictObject({
  id: text,
  kind: z.enum(['import', 'triage']),
  actor: text,
  state: z.enum(['queued', 'running', 'succeeded', 'failed']),
  /** What the job was asked: an import's kind, file name and size; a triage's escalate and ruleset version. */
  input: z.record(z.string(), z.unknown()),
  progress: z
    .strictObject({
      /** Records read (import), findings decided or escalations handed over (triage). */
      records: count,
      /** What `records` counts when it is a later stage of the run. */
      counting: z.string().optional(),
      /** The upload's size in bytes. */
      total_bytes: count.optional(),
      seconds: z.number().min(0),
    })
    .nullable(),
  /** When succeeded: the import's summary (as `closeloop import --json`) or the triage summary. */
  result: z.union([importSummarySchema, triageSummarySchema]).nullable(),
  /** When failed: what went wrong, in words (an import names the file, the record and the field). */
  error: z.strictObject({ code: text, message: text, details: z.unknown().optional() }).nullable(),
  created_at: text,
  updated_at: text,
});

export const jobAcceptedSchema = z.strictObject({ job: jobSchema });

export const importListSchema = z.strictObject({
  imports: z.array(z.strictObject({ id: text, kind: text, format: text, file: text, sha256: text, counts: z.record(z.string(), z.unknown()), by: text, at: text })),
});

export const decisionPageSchema = z.strictObject({
  decisions: z.array(
    z.strictObject({
      decision: text,
      finding: text,
      asset: text,
      vulnerability: text,
      outcome: z.enum(OUTCOMES),
      triggers: z.array(z.enum(TRIGGERS)),
      stay_reasons: z.array(z.enum(STAY_REASONS)),
      flags: z.array(z.enum(FLAGS)),
      next_actions: z.array(z.enum(NEXT_ACTIONS)),
      ssvc: z.enum(SSVC_OUTCOMES),
      ruleset: text,
      incident: nullableText,
      decided_at: text,
    }),
  ),
  next: nullableText,
});

/** What `closeloop why` prints: the latest decision, its facts and the rule lines of its replay. */
export const whySchema = z.strictObject({
  decision: text,
  finding: text,
  asset: text,
  vulnerability: text,
  outcome: z.enum(OUTCOMES),
  triggers: z.array(z.enum(TRIGGERS)),
  stay_reasons: z.array(z.enum(STAY_REASONS)),
  flags: z.array(z.enum(FLAGS)),
  next_actions: z.array(z.enum(NEXT_ACTIONS)),
  ssvc: z.enum(SSVC_OUTCOMES),
  evidence: strings,
  ruleset: text,
  engine: z.number().int(),
  input_hash: text,
  /** The vulnerability facts (KEV, EPSS, …) as they were when decided. */
  snapshot: z.unknown(),
  incident: nullableText,
  decided_at: text,
  /** The rule lines: each rule, whether it holds, and the facts it read. */
  explanation: z.array(z.strictObject({ rule: text, holds: z.boolean(), facts: strings })),
  replay: z.strictObject({ verified: z.boolean(), input_hash: nullableText, message: text }),
});

export const handoffSchema = z.strictObject({
  incident: text,
  /** One note per escalated finding: Markdown to show and copy, and the note's structured form. */
  notes: z.array(z.strictObject({ id: text, decision: text, created_at: text, markdown: text, note: z.record(z.string(), z.unknown()) })),
  /** What each triage run added to the handoff and sent to the IR lead. */
  revisions: z.array(
    z.strictObject({
      revision: z.number().int(),
      created_at: text,
      added: z.array(z.strictObject({ finding: text, asset: text, vulnerability: text, triggers: z.array(z.enum(TRIGGERS)), note: text })),
      markdown: text,
    }),
  ),
});

// ---- people and tokens ----------------------------------------------------------------------

export const personSchema = z.strictObject({
  name: text,
  roles: strings,
  display_name: nullableText,
  email: nullableText,
  /** Whether a password is set (never the password or its hash). */
  has_password: z.boolean(),
  oidc_subject: nullableText,
  created_at: text,
  updated_at: text,
  /** When the person was removed; null while they may act. */
  removed_at: nullableText,
});

export const peopleSchema = z.strictObject({ people: z.array(personSchema) });
export const addedPersonSchema = personSchema.extend({ id: text });
export const removedPersonSchema = personSchema.extend({ tokens_revoked: strings });

export const tokenListingSchema = z.strictObject({
  id: text,
  actor: text,
  label: nullableText,
  created_at: text,
  expires_at: nullableText,
  last_used_at: nullableText,
  revoked_at: nullableText,
});

export const tokensSchema = z.strictObject({ tokens: z.array(tokenListingSchema) });

export const createdTokenSchema = z.strictObject({
  id: text,
  actor: text,
  label: nullableText,
  expires_at: nullableText,
  /** The token itself: in this answer only (the store keeps its SHA-256). */
  token: text,
});

export const passwordLinkSchema = z.strictObject({
  id: text,
  name: text,
  /** The link: on server.public_url when set; it works once, until `expires_at`. */
  url: text,
  expires_at: text,
});
