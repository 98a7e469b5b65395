/** Reports of abusive users (event and room reports are `event_reports` in events.ts). */
import type { Generated } from "kysely";

export interface UserReportsTable {
  id: Generated<number>;
  target_user_id: string;
  reporter: string;
  reason: string;
  received_ts: number;
}

export interface ReportsTables {
  user_reports: UserReportsTable;
}
