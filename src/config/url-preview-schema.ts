/**
 * `media.url_preview`: URL previews are off by default; when on, the pages they fetch must not be on
 * the server's own networks. Documented in docs/config.md ("Media").
 */
import { z } from "zod";
import { DEFAULT_IP_RANGE_BLOCKLIST, ipRangeSchema } from "./ip-ranges.js";

export const urlPreviewConfigSchema = z
  .object({
    enabled: z.boolean().default(false),
    /** Replaces the default list entirely; prefer adding exceptions to ip_range_allowlist. */
    ip_range_blocklist: z.array(ipRangeSchema).default(() => [...DEFAULT_IP_RANGE_BLOCKLIST]),
    /** Exceptions to the blocklist (an internal wiki, or the loopback server of a test). */
    ip_range_allowlist: z.array(ipRangeSchema).default([]),
    /** Largest page, oEmbed document or image fetched; a longer body is cut off and refused. */
    max_page_bytes: z.number().int().positive().default(10 * 1024 * 1024),
    /** Whole fetch of one URL, redirects included. */
    timeout_ms: z.number().int().positive().default(10_000),
    max_redirects: z.number().int().min(0).max(20).default(5),
    /** How long a preview is reused before the page is fetched again (as Synapse: one hour). */
    cache_ttl_ms: z.number().int().positive().default(3_600_000),
  })
  .strict();

export type UrlPreviewConfig = z.infer<typeof urlPreviewConfigSchema>;

export const DEFAULT_URL_PREVIEW_CONFIG: UrlPreviewConfig = {
  enabled: false,
  ip_range_blocklist: [...DEFAULT_IP_RANGE_BLOCKLIST],
  ip_range_allowlist: [],
  max_page_bytes: 10 * 1024 * 1024,
  timeout_ms: 10_000,
  max_redirects: 5,
  cache_ttl_ms: 3_600_000,
};
