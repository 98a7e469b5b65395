/** Per-user data streams: account data, receipts, presence, filters, push rules and notifications. */


export interface AccountDataTable {
  user_id: string;
  /** "" for global account data. */
  room_id: string;
  type: string;
  content: string;
  stream_id: number;
}

export interface ReceiptsTable {
  room_id: string;
  receipt_type: string;
  user_id: string;
  /** "" for unthreaded receipts, "main" for the main timeline, or a thread root ID. */
  thread_id: string;
  event_id: string;
  /** Stream ordering of the receipted event, for unread counts. */
  event_stream_ordering: number;
  data: string;
  stream_id: number;
}

export interface PresenceTable {
  user_id: string;
  state: string;
  status_msg: string | null;
  last_active_ts: number;
  last_user_sync_ts: number;
  currently_active: number;
  stream_id: number;
}

export interface FiltersTable {
  user_id: string;
  filter_id: number;
  json: string;
}

export interface PushRulesTable {
  user_id: string;
  kind: string;
  rule_id: string;
  /** Position among the user's rules of the same kind; lower comes first. */
  priority: number;
  conditions: string | null;
  pattern: string | null;
  actions: string;
}

/** Enabled flags and action overrides of server-default rules and user rules. */
export interface PushRuleSettingsTable {
  user_id: string;
  kind: string;
  rule_id: string;
  enabled: number | null;
  actions: string | null;
}

export interface EventPushActionsTable {
  event_nid: number;
  room_nid: number;
  user_id: string;
  /** "main" or the thread root ID. */
  thread_id: string;
  stream_ordering: number;
  notify: number;
  highlight: number;
  actions: string;
}

export interface UserDirectoryTable {
  user_id: string;
  display_name: string | null;
  avatar_url: string | null;
}

export interface ServerNoticeRoomsTable {
  user_id: string;
  room_id: string;
}

export interface UserDataTables {
  account_data: AccountDataTable;
  receipts: ReceiptsTable;
  presence: PresenceTable;
  filters: FiltersTable;
  push_rules: PushRulesTable;
  push_rule_settings: PushRuleSettingsTable;
  event_push_actions: EventPushActionsTable;
  /** New push actions, until moved into event_push_actions (migration 035). */
  event_push_actions_staging: EventPushActionsTable;
  user_directory: UserDirectoryTable;
  server_notice_rooms: ServerNoticeRoomsTable;
}

