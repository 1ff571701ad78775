import type { Insertable, Selectable, Updateable } from 'kysely';

/** A third-party notice: opened by the report-out, sent through the vendor's channel, answered. */
export type ThirdPartyNoticeStatus = 'pending' | 'sent' | 'responded';

export interface ThirdPartyNoticesTable {
  id: string;
  incident_id: string;
  weakness_id: string;
  vendor: string;
  channel: string | null;
  status: ThirdPartyNoticeStatus;
  sent_at: string | null;
  response: string | null;
  responded_at: string | null;
  chased_at: string | null;
  tracking_item: string | null;
  created_at: string;
}

export type ThirdPartyNotice = Selectable<ThirdPartyNoticesTable>;
export type NewThirdPartyNotice = Insertable<ThirdPartyNoticesTable>;
export type ThirdPartyNoticeUpdate = Updateable<ThirdPartyNoticesTable>;
