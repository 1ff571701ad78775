import { z } from 'zod';
import { identifierProblem, RESERVED_NAMES } from '../domain/limits.js';
import { jiraConfigSchema, servicenowConfigSchema, ticketRouteProblem, ticketsConfigSchema } from './tickets.js';

/**
 * closeloop.yaml: the IR-6(2) control card, routing, the people directory and workflow policy.
 * Validated once at start, then frozen.
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
  address: z.string().min(1, 'an address (email, URL, queue or directory)'),
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

export const configSchema = z
  .object({
    version: z.literal(1),
    control_card: controlCardSchema,
    workflow: z
      .object({
        reportout_opens_on: z.enum(['triage', 'containment', 'eradication', 'recovery', 'post_incident']).default('eradication'),
        ack_sla_hours: z.number().positive().default(48),
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
    }),
    people: z.record(personName, z.array(roleName)).default({}),
    delivery: z
      .object({
        max_attempts: z.number().int().positive().default(8),
        backoff_seconds: z.number().positive().default(30),
        jira: jiraConfigSchema.optional(),
        servicenow: servicenowConfigSchema.optional(),
      })
      .prefault({}),
    tickets: ticketsConfigSchema,
  })
  .superRefine((cfg, ctx) => {
    const routed = new Set(Object.keys(cfg.routing.roles));
    for (const role of [...cfg.control_card.recipient_roles, ...cfg.workflow.third_party_roles]) {
      if (!routed.has(role)) {
        ctx.addIssue({
          code: 'custom',
          path: ['routing', 'roles', role],
          message: `role ${role} must have a route: it is a recipient of the report-out`,
        });
      }
    }
    const routeSets = [...Object.entries(cfg.routing.roles).map(([role, routes]) => ({ at: ['routing', 'roles', role], routes })), ...Object.entries(cfg.routing.services).flatMap(([service, roles]) => Object.entries(roles).map(([role, routes]) => ({ at: ['routing', 'services', service, role], routes })))];
    for (const { at, routes } of routeSets) {
      routes.forEach((route, i) => {
        const problem = ticketRouteProblem(route, cfg.delivery);
        if (problem !== null) ctx.addIssue({ code: 'custom', path: [...at, i, 'address'], message: problem });
      });
    }
  });

export type Config = z.infer<typeof configSchema>;
