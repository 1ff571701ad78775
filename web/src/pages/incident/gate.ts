/**
 * The closure gate as a checklist: the five obligations of IR-6(2) (src/domain/gate.ts), each done
 * or missing, with one line per role or weakness it concerns, in words. The server decides what is
 * missing (GET /incidents/:id/gate); this only lays its answer over what the incident holds, so the
 * list also says what is already done.
 */
import { GATE_ITEMS, type GateItem, type GateMissing, type IncidentView } from '../../api/incidents';
import { GATE_ITEM_WORDS } from './words';

export interface GateLine {
  text: string;
  done: boolean;
}

export interface GateEntry {
  item: GateItem;
  label: string;
  done: boolean;
  lines: GateLine[];
}

type GateFacts = Pick<IncidentView, 'weaknesses' | 'required_roles' | 'evidence'> & { incident: Pick<IncidentView['incident'], 'none_identified_rationale'> };

export function gateChecklist(facts: GateFacts, missing: readonly GateMissing[]): GateEntry[] {
  const missingOf = (item: GateItem) => missing.filter((m) => m.item === item);
  const bySubject = (item: GateItem, subject: string) => missing.find((m) => m.item === item && m.subject === subject);

  return GATE_ITEMS.map((item): GateEntry => {
    const mine = missingOf(item);
    let lines: GateLine[] = [];
    switch (item) {
      case 'reportout_complete': {
        if (mine.length > 0) lines = mine.map((m) => ({ text: m.message, done: false }));
        else if (facts.weaknesses.length > 0) lines = [{ text: `${facts.weaknesses.length} weakness${facts.weaknesses.length === 1 ? '' : 'es'} listed`, done: true }];
        else if (facts.incident.none_identified_rationale) lines = [{ text: `none identified: ${facts.incident.none_identified_rationale}`, done: true }];
        break;
      }
      case 'roles_notified':
      case 'roles_acknowledged': {
        const roles = [...facts.required_roles, ...mine.map((m) => m.subject).filter((s): s is string => s !== null && !facts.required_roles.includes(s))];
        lines = roles.map((role) => {
          const gap = bySubject(item, role);
          if (gap) return { text: gap.message, done: false };
          const ev = facts.evidence.find((e) => e.role === role);
          if (item === 'roles_acknowledged') {
            const a = ev?.acknowledgment;
            return { text: a ? `role ${role} acknowledged (by ${a.actor})` : `role ${role} acknowledged`, done: true };
          }
          return { text: `role ${role} was sent the report-out and it was delivered`, done: true };
        });
        break;
      }
      case 'weakness_followthrough': {
        lines = facts.weaknesses.map((w) => bySubject(item, w.id) ? { text: bySubject(item, w.id)!.message, done: false } : { text: `weakness ${w.id} has a remediation item or an approved risk acceptance`, done: true });
        break;
      }
      case 'third_party_notice': {
        const tp = facts.weaknesses.filter((w) => w.type === 'third_party');
        lines = tp.map((w) => bySubject(item, w.id) ? { text: bySubject(item, w.id)!.message, done: false } : { text: `third-party weakness ${w.id}: ${w.vendor ?? 'the vendor'} notified and answered or chased`, done: true });
        if (tp.length === 0 && mine.length === 0) lines = [{ text: 'no third-party weakness: nothing to do', done: true }];
        break;
      }
    }
    // any gap the server named that no line shows yet (a role or weakness this page does not know)
    for (const m of mine) if (!lines.some((l) => l.text === m.message)) lines.push({ text: m.message, done: false });
    return { item, label: GATE_ITEM_WORDS[item], done: mine.length === 0, lines };
  });
}

/** The gate's missing items from a refused close (409 CL_GATE_REFUSED, details.missing). */
export function refusedItems(details: Record<string, unknown>): GateMissing[] {
  const m = details.missing;
  if (!Array.isArray(m)) return [];
  return m.filter((x): x is GateMissing => typeof x === 'object' && x !== null && typeof (x as GateMissing).message === 'string');
}
