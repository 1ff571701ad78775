/**
 * `servicenow`: each message becomes a record in the configured table (Table API), assigned to the
 * group its route names. The record's `correlation_id` is derived from the message's idempotency
 * key; before creating, the channel looks the correlation id up, so a retry finds the record an
 * earlier attempt made instead of opening a second one. The proof keeps the record's number and
 * `sys_id`.
 */
import { resolveSecret } from '../../config/secrets.js';
import type { ServiceNowConfig } from '../../config/tickets.js';
import type { Channel, DeliveryProof } from '../channel.js';
import { basicAuth, clip, field, oneLine, requestJson, requiredText, ticketTag } from './ticket-http.js';
import { plainOrSecret, type Env, type ExternalStatus, type TicketClient } from './ticket-system.js';

/** ServiceNow's `short_description` and `description` lengths on the task tables. */
const SHORT_DESCRIPTION_MAX = 160;
const DESCRIPTION_MAX = 4000;

/** `delivery.servicenow` with its secrets resolved. */
export interface ServiceNowSettings {
  url: string;
  table: string;
  authorization: string;
}

/** Resolves `delivery.servicenow`'s references from the environment (an unset variable is a config error naming the key). */
export function servicenowSettings(cfg: ServiceNowConfig, env: Env): ServiceNowSettings {
  let authorization: string;
  if (cfg.token !== undefined) authorization = `Bearer ${resolveSecret(cfg.token, { ...env }, 'delivery.servicenow.token')}`;
  else authorization = basicAuth(plainOrSecret(cfg.user ?? '', env, 'delivery.servicenow.user'), resolveSecret(cfg.password ?? '', { ...env }, 'delivery.servicenow.password'));
  return { url: cfg.url, table: cfg.table, authorization };
}

/** A record as the channel knows it. */
export interface ServiceNowRecord {
  sysId: string;
  number: string;
  url: string;
}

const FIELDS = 'sys_id,number,state';

/** The Table API calls closeloop makes. */
export class ServiceNowClient implements TicketClient {
  readonly system = 'servicenow' as const;

  constructor(private readonly s: ServiceNowSettings) {}

  private get base(): string {
    return `${this.s.url}/api/now/table/${this.s.table}`;
  }

  private record(body: unknown): ServiceNowRecord {
    const sysId = requiredText('servicenow', body, 'sys_id');
    return { sysId, number: requiredText('servicenow', body, 'number'), url: `${this.s.url}/nav_to.do?uri=${encodeURIComponent(`${this.s.table}.do?sys_id=${sysId}`)}` };
  }

  /** The record with this correlation id, if one exists. */
  async findByCorrelation(correlationId: string): Promise<ServiceNowRecord | null> {
    const q = new URLSearchParams({ sysparm_query: `correlation_id=${correlationId}`, sysparm_fields: FIELDS, sysparm_limit: '1' });
    const { body } = await requestJson('servicenow', `${this.base}?${q.toString()}`, { method: 'GET', authorization: this.s.authorization });
    const result = field(body, 'result');
    const first: unknown = Array.isArray(result) ? result[0] : undefined;
    return first === undefined ? null : this.record(first);
  }

  /** Creates a record (`POST /api/now/table/<table>`). */
  async create(values: Record<string, string>): Promise<ServiceNowRecord & { status: number }> {
    const { status, body } = await requestJson('servicenow', `${this.base}?sysparm_fields=${FIELDS}`, { method: 'POST', authorization: this.s.authorization, body: values });
    return { ...this.record(field(body, 'result')), status };
  }

  /** A record's state value (`GET /api/now/table/<table>/<sys_id>`). */
  async status(ticket: { key: string; external_id: string }): Promise<ExternalStatus> {
    const { body } = await requestJson('servicenow', `${this.base}/${encodeURIComponent(ticket.external_id)}?sysparm_fields=${FIELDS}`, { method: 'GET', authorization: this.s.authorization });
    return { name: requiredText('servicenow', body, 'result', 'state') };
  }
}

/** The ServiceNow channel over its settings: finds the message's record by correlation id, else creates it. */
export function servicenowChannel(settings: ServiceNowSettings): Channel {
  const client = new ServiceNowClient(settings);
  return {
    async deliver({ notification: n }): Promise<DeliveryProof> {
      const tag = ticketTag(n.idempotency_key);
      const found = await client.findByCorrelation(tag);
      const proof = (r: ServiceNowRecord, status: number, how: string): DeliveryProof => ({
        messageId: r.number,
        status,
        response: `${how} ${r.number} (sys_id ${r.sysId}) ${r.url}`,
        ticket: { system: 'servicenow', key: r.number, id: r.sysId, url: r.url },
      });
      if (found !== null) return proof(found, 200, 'found');
      const made = await client.create({
        short_description: oneLine(n.subject, SHORT_DESCRIPTION_MAX),
        description: clip(n.body, DESCRIPTION_MAX),
        assignment_group: n.address,
        correlation_id: tag,
        correlation_display: 'closeloop',
      });
      return proof(made, made.status, 'created');
    },
  };
}
