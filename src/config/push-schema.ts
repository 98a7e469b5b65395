/**
 * `push`: delivery of notifications to push gateways (HTTP pushers). Documented in docs/config.md
 * ("Push notifications"). Defaults are Synapse's where it has the setting.
 */
import { z } from "zod";
import { DEFAULT_IP_RANGE_BLOCKLIST, ipRangeSchema } from "./ip-ranges.js";

export const pushConfigSchema = z
  .object({
    /** Deliver to HTTP pushers from this process; the pushers API answers either way. */
    enabled: z.boolean().default(true),
    /** Send the event's content to gateways (off: only its type, sender and room). */
    include_content: z.boolean().default(true),
    /** The badge counts rooms with unread notifications (off: the notifications themselves). */
    group_unread_count_by_room: z.boolean().default(true),
    /** Longest one request to a gateway may take. */
    request_timeout_ms: z.number().int().positive().default(15_000),
    /** Backoff of a failing pusher: the first retry after retry_initial_ms, doubling up to retry_max_ms. */
    retry_initial_ms: z.number().int().positive().default(1_000),
    retry_max_ms: z.number().int().positive().default(3_600_000),
    /** A pusher failing for this long drops what is waiting (still trying new notifications). */
    give_up_after_ms: z.number().int().positive().default(86_400_000),
    /** Addresses gateways may not be at (the user chooses the URL); the URL previews' default. */
    ip_range_blocklist: z.array(ipRangeSchema).default(() => [...DEFAULT_IP_RANGE_BLOCKLIST]),
    /** Exceptions to the blocklist (a gateway in your own network). */
    ip_range_allowlist: z.array(ipRangeSchema).default([]),
    /** How often new push actions move from staging to the table ordered by user (services/push/staged-push-actions.ts). */
    staged_actions_move_ms: z.number().int().positive().default(1_000),
  })
  .strict();

export type PushConfig = z.infer<typeof pushConfigSchema>;

export const DEFAULT_PUSH_CONFIG: PushConfig = {
  enabled: true,
  include_content: true,
  group_unread_count_by_room: true,
  request_timeout_ms: 15_000,
  retry_initial_ms: 1_000,
  retry_max_ms: 3_600_000,
  give_up_after_ms: 86_400_000,
  ip_range_blocklist: [...DEFAULT_IP_RANGE_BLOCKLIST],
  ip_range_allowlist: [],
  staged_actions_move_ms: 1_000,
};
