import { notFound } from '../errors.js';
import type { AddedFinding } from '../domain/escalation/handoff-revision.js';
import { handoffNotesOfIncident, handoffRevisionsOfIncident, incidentIsStored } from '../store/repositories/triage-handoff.js';
import { authorize, type AppContext, type Caller } from './context.js';

/**
 * `closeloop handoff show INC`: the handoff notes stored with an incident, so the responders read
 * what triage told them (Markdown and the note's JSON) where they work.
 */
export async function handoffNotes(ctx: AppContext, caller: Caller, incidentId: string) {
  await authorize(ctx, caller, 'incident.read');
  const db = ctx.store.db;
  if (!(await incidentIsStored(db, incidentId))) throw notFound('incident', incidentId);
  const rows = await handoffNotesOfIncident(db, incidentId);
  return rows.map((r) => ({ id: r.id, decision: r.decision_id, created_at: r.created_at, markdown: r.markdown, note: JSON.parse(r.json) as unknown }));
}

/**
 * The revisions of an incident's handoff, in order: what each triage run added to it and sent to
 * the IR lead (docs/decisions/incident-grouping.md).
 */
export async function handoffRevisions(ctx: AppContext, caller: Caller, incidentId: string) {
  await authorize(ctx, caller, 'incident.read');
  const db = ctx.store.db;
  if (!(await incidentIsStored(db, incidentId))) throw notFound('incident', incidentId);
  const rows = await handoffRevisionsOfIncident(db, incidentId);
  return rows.map((r) => ({ revision: Number(r.revision), created_at: r.created_at, added: JSON.parse(r.added) as AddedFinding[], markdown: r.markdown }));
}
