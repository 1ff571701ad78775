import type { Insertable, Selectable, Updateable } from 'kysely';
import type { Exploitation } from '../../domain/records.js';

export interface VulnerabilitiesTable {
  id: string;
  cvss_version: string | null;
  cvss_score: number | null;
  cvss_vector: string | null;
  exploitation: Exploitation;
  public_poc: number;
  vendor_advisory: number;
  fix_available: number | null;
  kev_date_added: string | null;
  kev_due_date: string | null;
  kev_ransomware: number | null;
  epss_score: number | null;
  epss_percentile: number | null;
  epss_date: string | null;
  title: string | null;
  refs: string;
  extra: string;
  updated_at: string;
}

export type VulnerabilityRow = Selectable<VulnerabilitiesTable>;
export type NewVulnerabilityRow = Insertable<VulnerabilitiesTable>;
export type VulnerabilityRowUpdate = Updateable<VulnerabilitiesTable>;
