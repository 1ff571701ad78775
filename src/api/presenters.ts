/**
 * Response shapes: rows as clients want them. JSON kept as text in the store (weakness assets,
 * gate flags) goes out as JSON; the rest of a row is already plain data.
 */
import type { IncidentView } from '../app/incidents.js';
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

export function presentIncidentView(v: IncidentView): Omit<IncidentView, 'incident'> & { incident: IncidentOut } {
  return { ...v, incident: presentIncident(v.incident) };
}
