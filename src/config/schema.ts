import { z } from 'zod';
import { identifierProblem, RESERVED_NAMES } from '../domain/limits.js';
import { channelDeliveryKeys, routeProblems, subscriptionProblems } from './channels.js';
import { secretRef } from './secrets.js';
import { jiraConfigSchema, servicenowConfigSchema, ticketsConfigSchema } from './tickets.js';

/**
 * closeloop.yaml: the IR-6(2) control card, routing and workflow policy. Validated once at start,
 * then frozen. People are in the store; a `people` section (earlier versions) is read only to be
 * moved there once (app/people-migration.ts).
 */

/** A role: snake_case, at most 64 characters, never a property every object has (`constructor`). */
export const roleName = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,63}$/, 'a role name in snake_case of at most 64 characters, e.g. service_owner')
  .refine((s) => !RESERVED_NAMES.includes(s), `a role name other than ${RESERVED_NAMES.join(', ')}`);

/** A person's name in the directory (an actor): see identifierProblem. */
export const personName = z.string().superRefine((s, ctx) => {
  const problem = identifierProblem(s);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: `a person's name ${problem}` });
});

export const CHANNELS = ['email', 'webhook', 'slack', 'teams', 'jira', 'servicenow', 'file'] as const;

export const routeSchema = z.object({
  channel: z.enum(CHANNELS),
  address: z.string().min(1, 'an address (a mailbox, an endpoint name, a project or a directory)'),
});
export type Route = z.infer<typeof routeSchema>;

export const controlCardSchema = z.object({
  id: z.string().default('IR-6(2)'),
  version: z.number().int().positive(),
  objective: z.string().min(1),
  owner_role: roleName,
  triggers: z.array(z.string().min(1)).min(1),
  recipient_roles: z.array(roleName).min(1, 'at least one recipient role'),
  workflow_steps: z.array(z.string().min(1)).min(1),
  exception_rules: z.object({
    approver_roles: z.array(roleName).min(1, 'at least one role that may approve risk acceptances'),
    max_review_days: z.number().int().positive().default(180),
    requester_may_not_approve: z.literal(true).default(true),
  }),
  evidence_location: z.string().min(1),
});

/** An OpenID Connect identity provider closeloop signs people in with. */
const oidcSchema = z.strictObject({
  /** The issuer URL; its /.well-known/openid-configuration is read at the first sign-in. */
  issuer: z.url({ protocol: /^https?$/, error: 'the issuer URL, e.g. https://login.example.org/realms/main' }),
  client_id: z.string().min(1, 'the client id registered at the identity provider'),
  /** The client secret: a secret reference, env:NAME. */
  client_secret: secretRef,
  /** Where the provider sends people back; default server.public_url + /auth/oidc/callback. */
  redirect_url: z.url({ protocol: /^https?$/, error: 'an http(s) URL ending in /auth/oidc/callback' }).optional(),
  /** The ID token claim whose value is a person's name in closeloop (a person whose oidc_subject is the token's `sub` matches too). */
  claim: z.string().min(1).default('preferred_username'),
  /** The sign-in button's words, e.g. "Sign in with Okta". */
  label: z.string().min(1).max(64).optional(),
});

/** An acknowledgment escalation level: `notify` names roles, `role` (the role that has not acknowledged) or `control_owner`. */
const ackLevel = z.strictObject({
  after_hours: z.number().positive(),
  notify: z.array(z.union([z.literal('role'), z.literal('control_owner'), roleName])).min(1, 'at least one role to tell'),
});

export const configSchema = z
  .object({
    /** 2: webhook, slack and teams routes name endpoints of delivery.<channel>.endpoints (`closeloop config migrate` upgrades 1). */
    version: z.union([z.literal(1), z.literal(2)]),
    control_card: controlCardSchema,
    workflow: z
      .object({
        reportout_opens_on: z.enum(['triage', 'containment', 'eradication', 'recovery', 'post_incident']).default('eradication'),
        ack_sla_hours: z.number().positive().default(48),
        // Escalation ladders for unacknowledged report-outs; without `levels`, one level at
        // ack_sla_hours that reminds the role and tells the IR lead.
        ack_escalation: z
          .object({
            levels: z.array(ackLevel).min(1, 'at least one level').optional(),
            roles: z.record(roleName, z.array(ackLevel).min(1, 'at least one level')).default({}),
          })
          .prefault({}),
        risk_review_warning_days: z.number().int().nonnegative().default(14),
        third_party_roles: z.array(roleName).default(['third_party_manager', 'contract_owner']),
        remediation_due_days: z
          .object({ low: z.number().int().positive(), moderate: z.number().int().positive(), high: z.number().int().positive(), critical: z.number().int().positive() })
          .default({ low: 90, moderate: 60, high: 30, critical: 15 }),
      })
      .prefault({}),
    gate: z.object({ mode: z.enum(['hard', 'soft']).default('hard') }).prefault({}),
    routing: z.object({
      roles: z.record(roleName, z.array(routeSchema).min(1, 'at least one route')),
      services: z.record(z.string().min(1), z.record(roleName, z.array(routeSchema).min(1))).default({}),
      /** Where a vendor's security notices go (a third-party weakness names its vendor); a vendor without routes is notified by hand (`vendor notify`). */
      vendors: z.record(z.string().min(1), z.array(routeSchema).min(1, 'at least one route')).default({}),
    }),
    /** Earlier versions' people directory (actor -> roles): moved into the store at start, then deleted from the file. */
    people: z.record(personName, z.array(roleName)).optional(),
    delivery: z
      .object({
        max_attempts: z.number().int().positive().default(8),
        backoff_seconds: z.number().positive().default(30),
        ...channelDeliveryKeys,
        jira: jiraConfigSchema.optional(),
        servicenow: servicenowConfigSchema.optional(),
      })
      .prefault({}),
    tickets: ticketsConfigSchema,
    /** Signing of the audit log (`closeloop keys init` writes the key and this section). */
    audit: z
      .strictObject({
        /** The Ed25519 private key (PEM, mode 0600), relative to closeloop.yaml; never in the store. */
        signing_key: z.string().min(1, 'the path of a PEM private key file').optional(),
        /** Public keys (PEM) of earlier signing keys whose signatures still count. */
        trusted_keys: z.array(z.string().min(1, 'the path of a PEM public key file')).default([]),
        /** A checkpoint is signed each time the log grows by this many events. */
        checkpoint_every: z.number().int().positive().max(1_000_000).default(1000),
        /** Where each signed checkpoint is also sent: a file (on another volume) and/or a webhook endpoint of delivery.webhook.endpoints. */
        witness: z
          .strictObject({
            file: z.string().min(1, 'the path of a file checkpoints are appended to').optional(),
            webhook: z.string().min(1, 'an endpoint name of delivery.webhook.endpoints').optional(),
          })
          .optional(),
      })
      .prefault({}),
    server: z
      .object({
        /** Where people reach this server: acknowledgment links and incident links are built on it. */
        public_url: z.url({ protocol: /^https?$/, error: 'an http(s) URL, e.g. https://closeloop.example.org' }).optional(),
        /** The HMAC key of acknowledgment links, shared by every server: a secret reference, env:NAME. */
        ack_key: secretRef.optional(),
        /** How long an acknowledgment link works after the message leaves. */
        ack_link_days: z.number().int().positive().max(90).default(14),
        /** Browser sessions: ended after idle_minutes without a request, and absolute_hours after sign-in whatever happens. */
        session: z
          .strictObject({
            idle_minutes: z.number().int().positive().max(24 * 60).default(30),
            absolute_hours: z.number().int().positive().max(24 * 30).default(12),
          })
          .prefault({}),
        /** Single sign-on with an OpenID Connect identity provider (authorization code + PKCE). */
        oidc: oidcSchema.optional(),
        /** Serve HTTPS: PEM files of the certificate (chain) and its private key, relative to closeloop.yaml. */
        tls: z.strictObject({ cert: z.string().min(1, 'a PEM certificate file'), key: z.string().min(1, 'a PEM private key file') }).optional(),
        /** Origins other than the server's own allowed to call the API from a browser; no CORS at all when absent. */
        cors: z.strictObject({ origins: z.array(z.url({ protocol: /^https?$/, error: 'an origin, e.g. https://tools.example.org' })).min(1, 'at least one origin') }).optional(),
        /** `GET /metrics` (Prometheus text) without a token: for a scraper on a trusted network. Default: a bearer token whose person may `metrics.read`. */
        metrics_public: z.boolean().default(false),
        /** The largest file `POST /api/v1/imports` takes, in MB; a larger upload is refused with 413. */
        upload_limit_mb: z.number().int().positive().max(100_000).default(200),
      })
      .prefault({})
      .superRefine((server, ctx) => {
        if (server.oidc !== undefined && server.oidc.redirect_url === undefined && server.public_url === undefined) {
          ctx.addIssue({ code: 'custom', path: ['oidc', 'redirect_url'], message: 'set server.public_url (or server.oidc.redirect_url): the identity provider sends people back to it' });
        }
      }),
  })
  .superRefine((cfg, ctx) => {
    const routed = new Set(Object.keys(cfg.routing.roles));
    const ladders: [(string | number)[], { notify: string[] }[]][] = [
      [['workflow', 'ack_escalation', 'levels'], cfg.workflow.ack_escalation.levels ?? []],
      ...Object.entries(cfg.workflow.ack_escalation.roles).map(([role, levels]): [(string | number)[], { notify: string[] }[]] => [['workflow', 'ack_escalation', 'roles', role], levels]),
    ];
    for (const [path, levels] of ladders) {
      for (const [i, level] of levels.entries()) {
        for (const target of level.notify) {
          const role = target === 'control_owner' ? cfg.control_card.owner_role : target;
          if (target !== 'role' && !routed.has(role)) {
            ctx.addIssue({ code: 'custom', path: [...path, i, 'notify'], message: `role ${role} must have a route: an acknowledgment escalation level tells it` });
          }
        }
      }
    }
    for (const role of [...cfg.control_card.recipient_roles, ...cfg.workflow.third_party_roles]) {
      if (!routed.has(role)) {
        ctx.addIssue({
          code: 'custom',
          path: ['routing', 'roles', role],
          message: `role ${role} must have a route: it is a recipient of the report-out`,
        });
      }
    }
    for (const p of [...routeProblems(cfg), ...subscriptionProblems(cfg.delivery.webhook)]) ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
  });

export type Config = z.infer<typeof configSchema>;
