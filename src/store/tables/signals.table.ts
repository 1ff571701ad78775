import type { Insertable, Selectable, Updateable } from 'kysely';
import type { Confidence, SignalKind } from '../../domain/records.js';

export interface SignalsTable {
  id: string;
  time: string;
  asset_id: string;
  kind: SignalKind;
  vulnerability_id: string | null;
  component: string | null;
  source: string | null;
  indicator: string | null;
  payload: string | null;
  alert: string | null;
  confidence: Confidence | null;
  extra: string;
}

export type SignalRow = Selectable<SignalsTable>;
export type NewSignalRow = Insertable<SignalsTable>;
export type SignalRowUpdate = Updateable<SignalsTable>;
