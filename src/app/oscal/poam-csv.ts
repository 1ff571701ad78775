/**
 * The POA&M as a CSV with the columns of FedRAMP's POA&M template (Open POA&M Items worksheet,
 * columns A–AA, then the BOD 22-01, CVE and service columns), one row per POA&M line, open and
 * closed alike (the Comments column says which). Dates are YYYY-MM-DD.
 */
import type { PoamUnit } from './poam.js';

export const POAM_CSV_COLUMNS = [
  'POAM ID',
  'Controls',
  'Weakness Name',
  'Weakness Description',
  'Weakness Detector Source',
  'Weakness Source Identifier',
  'Asset Identifier',
  'Point of Contact',
  'Resources Required',
  'Overall Remediation Plan',
  'Original Detection Date',
  'Scheduled Completion Date',
  'Planned Milestones',
  'Milestone Changes',
  'Status Date',
  'Vendor Dependency',
  'Last Vendor Check-in Date',
  'Vendor Dependent Product Name',
  'Original Risk Rating',
  'Adjusted Risk Rating',
  'Risk Adjustment',
  'False Positive',
  'Operational Requirement',
  'Deviation Rationale',
  'Supporting Documents',
  'Comments',
  'Auto-Approve',
  'Binding Operational Directive 22-01 tracking',
  'Binding Operational Directive 22-01 Due Date',
  'CVE',
  'Service Name',
] as const;

export type PoamCsvColumn = (typeof POAM_CSV_COLUMNS)[number];

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, quote, line break or edge space, quotes
 * doubled. A field a spreadsheet would run as a formula (starting =, +, -, @, tab or CR) gets a
 * leading apostrophe, so text typed into a record never runs when the POA&M is opened.
 */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]|^\s|\s$/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** Rows of fields as CSV text, CRLF line ends (RFC 4180), header first. */
export function csvText(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [header, ...rows].map((r) => `${r.map(csvField).join(',')}\r\n`).join('');
}

const day = (at: string | null | undefined): string => (at == null ? '' : at.slice(0, 10));
const rating = (s: string | null | undefined): string => (s == null ? '' : s.charAt(0).toUpperCase() + s.slice(1));
const latest = (dates: readonly (string | null)[]): string => dates.reduce<string>((a, b) => (b !== null && b > a ? b : a), '');

const STATUS_WORDS: Record<PoamUnit['status'], string> = {
  open: 'Open: remediation planned, not started',
  investigating: 'Open: no remediation item or risk acceptance yet',
  remediating: 'Open: remediation under way',
  'deviation-requested': 'Open: risk acceptance requested',
  'deviation-approved': 'Open: risk accepted (operational requirement) until its review date',
  closed: 'Closed: remediation verified',
};

export function poamCsvRow(u: PoamUnit): Record<PoamCsvColumn, string> {
  const accepted = u.inForce;
  const pending = u.acceptances.filter((a) => a.state === 'requested');
  const kev = u.vulnerabilities.filter((v) => v.kev_date_added !== null);
  const checkIn = latest(u.notices.flatMap((n) => [n.responded_at, n.chased_at, n.sent_at]));
  return {
    'POAM ID': u.id,
    Controls: u.controls.map((c) => c.toUpperCase()).join(', '),
    'Weakness Name': u.title,
    'Weakness Description': u.description,
    'Weakness Detector Source': u.kind === 'weakness' ? `closeloop incident response (${u.incident?.id ?? 'incident'})` : (u.finding?.source ?? 'vulnerability scan'),
    'Weakness Source Identifier': u.kind === 'weakness' ? [u.incident?.id ?? '', ...u.vulnerabilityIds].filter((s) => s !== '').join(', ') : (u.finding?.id ?? ''),
    'Asset Identifier': u.assets.join(', '),
    'Point of Contact': [...new Set(u.items.map((i) => `${i.assignee} (${i.owner_role})`))].join(', '),
    'Resources Required': '',
    'Overall Remediation Plan': [u.action, ...u.items.map((i) => `${i.id}: ${i.criteria}`)].filter((s): s is string => s !== null && s !== '').join('\n'),
    'Original Detection Date': day(u.detectedAt),
    'Scheduled Completion Date': accepted !== null ? accepted.review_by : latest(u.items.map((i) => i.due)),
    'Planned Milestones': u.items.filter((i) => i.due !== null).map((i) => `${i.id}: ${i.criteria} by ${i.due ?? ''}`).join('\n'),
    'Milestone Changes': u.history.map((h) => `${day(h.at)} ${h.item_id} ${h.status} (${h.actor})`).join('\n'),
    'Status Date': day(u.updatedAt),
    'Vendor Dependency': u.vendor === null ? 'No' : 'Yes',
    'Last Vendor Check-in Date': day(checkIn === '' ? null : checkIn),
    'Vendor Dependent Product Name': u.vendor ?? '',
    'Original Risk Rating': rating(u.severity),
    'Adjusted Risk Rating': '',
    'Risk Adjustment': 'No',
    'False Positive': 'No',
    'Operational Requirement': accepted !== null ? 'Yes' : pending.length > 0 ? 'Pending' : 'No',
    'Deviation Rationale':
      accepted !== null
        ? `${accepted.id}: ${accepted.rationale} Compensating controls: ${accepted.controls}. Approved by ${accepted.approver ?? 'unknown'}; review by ${accepted.review_by}.`
        : pending.map((a) => `${a.id} (requested): ${a.rationale}`).join('\n'),
    'Supporting Documents': u.incident === null ? '' : `closeloop evidence export ${u.incident.id}`,
    Comments: STATUS_WORDS[u.status] + (u.expired.length > 0 ? `; expired acceptance ${u.expired.map((a) => a.id).join(', ')}` : ''),
    'Auto-Approve': 'No',
    'Binding Operational Directive 22-01 tracking': kev.length > 0 ? 'Yes' : 'No',
    'Binding Operational Directive 22-01 Due Date': kev.map((v) => v.kev_due_date ?? '').filter((d) => d !== '').sort()[0] ?? '',
    CVE: u.vulnerabilityIds.filter((v) => /^CVE-/i.test(v)).join(', '),
    'Service Name': u.incident?.service ?? '',
  };
}

/** The POA&M's lines as CSV text. */
export function poamCsv(units: readonly PoamUnit[]): string {
  return csvText(
    POAM_CSV_COLUMNS,
    units.map((u) => {
      const row = poamCsvRow(u);
      return POAM_CSV_COLUMNS.map((c) => row[c]);
    }),
  );
}
