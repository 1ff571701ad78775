import type { Insertable, Selectable, Updateable } from 'kysely';
import type { FindingCheck, FindingSeverity, Reachability, Validation } from '../../domain/records.js';

/** Whether the latest report of a finding's scanner and target still lists it. */
export type FindingStatus = 'open' | 'resolved';

export interface FindingsTable {
  id: string;
  fingerprint: string;
  vulnerability_id: string;
  asset_id: string;
  component: string | null;
  version: string | null;
  source: string | null;
  validation: Validation;
  reachability: Reachability;
  affected_version_known: number;
  vendor_scope_known: number;
  /** null = not needed; 'true' = needed, action unnamed; otherwise the named action. */
  containment_needed: string | null;
  title: string | null;
  severity: FindingSeverity | null;
  cwe: string;
  file_path: string | null;
  line: number | null;
  fixed_version: string | null;
  aliases: string;
  extra: string;
  /** `open`, or `resolved` when a newer report of the same scanner and target no longer lists it. */
  status: FindingStatus;
  /** scanner + target that produced it: findings missing from a newer report of the same key are resolved. */
  scan_key: string | null;
  last_import_id: string | null;
  first_seen: string;
  last_seen: string;
  /** How the scanner tested for it: `remote` or `local`; null when not said (migration 0007). */
  check_type: FindingCheck | null;
  /** The actor whose verdict ruled the finding out. */
  ruled_out_by: string | null;
  /** When an analyst last gave a verdict on the finding. */
  verdict_at: string | null;
  /** The target as the report named it (fingerprint and scan key come from it); `asset_id` is the asset it matched. */
  target: string;
}

export type FindingRow = Selectable<FindingsTable>;
export type NewFindingRow = Insertable<FindingsTable>;
export type FindingRowUpdate = Updateable<FindingsTable>;
