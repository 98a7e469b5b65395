/** Pushers (client-server API "Push notifications"), added by migration 022. */
import type { Generated } from "kysely";

/**
 * One pusher of a user, unique by (user_id, app_id, pushkey). Its delivery queue is the user's rows of
 * `event_push_actions` after `last_stream_ordering`: nothing is written per notification on the send
 * path, and what was not delivered before a restart is still there after it.
 */
export interface PushersTable {
  id: Generated<number>;
  user_id: string;
  /** "http" or "email". */
  kind: string;
  app_id: string;
  pushkey: string;
  /** When the pushkey was last set, in ms (sent to gateways in seconds as pushkey_ts). */
  pushkey_ts: number;
  app_display_name: string;
  device_display_name: string;
  profile_tag: string | null;
  lang: string;
  /** The pusher's `data` object as JSON, `url` included. */
  data: string;
  /** The device whose access token set the pusher: the pusher goes when the device does. */
  device_id: string | null;
  /** The access token that set it, when the token has no device: the pusher goes with the token. */
  access_token_id: number | null;
  /** Stream position of the last notification delivered (or skipped). */
  last_stream_ordering: number;
  last_success_ts: number | null;
  /** When the gateway started failing; null while it answers. */
  failing_since_ts: number | null;
}

export interface PushersTables {
  pushers: PushersTable;
}
