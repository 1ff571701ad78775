/**
 * The configuration as the settings page shows it, read-only: the control card, routing (each
 * role's routes as channel and target), workflow, closure gate, delivery, the size of the people
 * directory, and the policy's role matrix. Secrets appear only as their `env:NAME` references
 * (closeloop.yaml holds nothing else), and a URL written out in full is shown as its scheme and
 * host only, so no path or query (where a receiver may put a token) leaves the server.
 */
import { z } from 'zod';
import { isSecretRef } from '../../config/secrets.js';
import type { Route } from '../../config/schema.js';
import { ACTIONS, POLICY } from '../../domain/policy.js';
import { listPeopleRows } from '../../store/repositories/people.js';
import { authorize, type AppContext, type Caller } from '../context.js';
import { controlCardOutput } from '../control-card.js';
import { knownRoles } from '../people.js';

const route = z.object({ channel: z.string(), target: z.string() });
const routes = z.array(route);

export const settingsOutput = z.object({
  control_card: controlCardOutput,
  routing: z.object({
    roles: z.record(z.string(), routes),
    services: z.record(z.string(), z.record(z.string(), routes)),
    vendors: z.record(z.string(), routes),
  }),
  workflow: z.record(z.string(), z.unknown()),
  gate: z.object({ mode: z.enum(['hard', 'soft']) }),
  /** Delivery settings per channel; secrets as references. */
  delivery: z.record(z.string(), z.unknown()),
  /** Ticket systems and their status mapping; secrets as references. */
  tickets: z.unknown(),
  server: z.record(z.string(), z.unknown()),
  people: z.object({ count: z.number().int() }),
  /** The role matrix: every role the policy knows, and which roles each action is granted to (`admin` may do all but decide risk). */
  policy: z.object({ roles: z.array(z.string()), actions: z.record(z.string(), z.array(z.string())) }),
});
export type SettingsView = z.infer<typeof settingsOutput>;

const SECRET_KEYS = /(password|secret|token)$/i;

/** A string of the configuration as it may be shown: references as written, URLs without path or query. */
function shownString(key: string, s: string): string {
  if (isSecretRef(s)) return s;
  if (SECRET_KEYS.test(key)) return '(not shown)';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) {
    try {
      const u = new URL(s);
      return `${u.protocol}//${u.host}`;
    } catch {
      return '(not shown)';
    }
  }
  return s;
}

/** A configuration section with every string passed through `shownString`. */
function shown(value: unknown, key = ''): unknown {
  if (typeof value === 'string') return shownString(key, value);
  if (Array.isArray(value)) return value.map((v) => shown(v, key));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shown(v, k)]));
  return value;
}

const routesOut = (list: readonly Route[]) => list.map((r) => ({ channel: r.channel, target: shownString('address', r.address) }));
const mapValues = <T, U>(o: Record<string, T>, f: (v: T) => U): Record<string, U> => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));

/** The settings page: for admins, GRC and auditors (`settings.read`). */
export async function showSettings(ctx: AppContext, caller: Caller): Promise<SettingsView> {
  await authorize(ctx, caller, 'settings.read');
  const c = ctx.config;
  const roles = knownRoles(c);
  const people = (await listPeopleRows(ctx.store.db)).length;
  return {
    control_card: { ...c.control_card, exception_rules: { ...c.control_card.exception_rules } },
    routing: {
      roles: mapValues(c.routing.roles, routesOut),
      services: mapValues(c.routing.services, (byRole) => mapValues(byRole, routesOut)),
      vendors: mapValues(c.routing.vendors, routesOut),
    },
    workflow: shown(c.workflow) as Record<string, unknown>,
    gate: { mode: c.gate.mode },
    delivery: shown(c.delivery) as Record<string, unknown>,
    tickets: shown(c.tickets),
    server: shown(c.server) as Record<string, unknown>,
    people: { count: people },
    policy: { roles, actions: Object.fromEntries(ACTIONS.map((a) => [a, [...POLICY[a]]])) },
  };
}
