/**
 * Response shapes: rows as clients want them. JSON kept as text in the store (weakness assets,
 * gate flags, a message's event and proof) goes out as JSON, and a row is presented the same way
 * on every route that returns it; the rest of a row is already plain data. The shapes are
 * documented in schemas.ts.
 */
import { deliveryView, type DeliveryView } from '../app/deliveries.js';
import type { IncidentView } from '../app/incidents.js';
import type { SendResult } from '../app/reportout.js';
import type { Incident, Weakness } from '../app/rows.js';
import type { GateMissing } from '../domain/gate.js';

export type IncidentOut = Omit<Incident, 'gate_flags'> & { gate_flags: GateMissing[] };
export type WeaknessOut = Omit<Weakness, 'assets' | 'vulnerabilities'> & { assets: string[]; vulnerabilities: string[] };

function jsonArray<T>(text: string | null): T[] {
  if (text === null || text === '') return [];
  const v: unknown = JSON.parse(text);
  return Array.isArray(v) ? (v as T[]) : [];
}

export function presentIncident(inc: Incident): IncidentOut {
  return { ...inc, gate_flags: jsonArray<GateMissing>(inc.gate_flags) };
}

export function presentWeakness(w: Weakness): WeaknessOut {
  return { ...w, assets: jsonArray<string>(w.assets), vulnerabilities: jsonArray<string>(w.vulnerabilities) };
}

export type IncidentViewOut = Omit<IncidentView, 'incident' | 'notifications'> & { incident: IncidentOut; notifications: DeliveryView[] };

export function presentIncidentView(v: IncidentView): IncidentViewOut {
  return { ...v, incident: presentIncident(v.incident), notifications: v.notifications.map(deliveryView) };
}

export type SendResultOut = Omit<SendResult, 'incident' | 'notifications'> & { incident: IncidentOut; notifications: DeliveryView[] };

/** The report-out sent: its messages as the outbox routes show them. */
export function presentSendResult(r: SendResult): SendResultOut {
  return { ...r, incident: presentIncident(r.incident), notifications: r.notifications.map(deliveryView) };
}
