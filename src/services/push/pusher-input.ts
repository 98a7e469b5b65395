/**
 * The body of POST /pushers/set (pusher.yaml, postPusher), checked: `kind: null` deletes; otherwise
 * every field a pusher needs must be there (400 M_MISSING_PARAM naming them, as the spec's example),
 * of the right type, within the spec's lengths, and an HTTP pusher's `data.url` must be an http(s) URL
 * with the path `/_matrix/push/v1/notify` (400 M_INVALID_PARAM). The spec says HTTPS; plain HTTP is
 * accepted as Synapse does (a gateway on the same host or in the same private network).
 */
import { invalidParam, missingParam } from "../../errors.js";

export const NOTIFY_PATH = "/_matrix/push/v1/notify";
/** The kinds a pusher may have: HTTP pushers deliver; email pushers are kept (see pusher-service.ts). */
export const PUSHER_KINDS = ["http", "email"] as const;
export type PusherKind = (typeof PUSHER_KINDS)[number];

export interface PusherDeletion {
  delete: true;
  appId: string;
  pushkey: string;
}

export interface PusherSettings {
  delete: false;
  kind: PusherKind;
  appId: string;
  pushkey: string;
  appDisplayName: string;
  deviceDisplayName: string;
  profileTag: string | null;
  lang: string;
  data: Record<string, unknown>;
  append: boolean;
}

const REQUIRED = ["app_display_name", "device_display_name", "lang", "data"] as const;

export function parsePusherRequest(body: Record<string, unknown>): PusherDeletion | PusherSettings {
  const appId = requireString(body, "app_id");
  const pushkey = requireString(body, "pushkey");
  // Spec limits: app_id 64 characters, pushkey 512 bytes.
  if ([...appId].length > 64) throw invalidParam("app_id is longer than 64 characters");
  if (Buffer.byteLength(pushkey) > 512) throw invalidParam("pushkey is longer than 512 bytes");
  if (body["kind"] === null) return { delete: true, appId, pushkey };

  const kind = requireString(body, "kind");
  if (!(PUSHER_KINDS as readonly string[]).includes(kind)) throw invalidParam(`Unknown pusher kind ${kind}`);
  const missing = REQUIRED.filter((key) => body[key] === undefined || body[key] === null);
  if (missing.length > 0) throw missingParam(`Missing parameters: ${missing.join(", ")}`);
  const data = body["data"];
  if (typeof data !== "object" || data === null || Array.isArray(data)) throw invalidParam("data must be an object");
  const profileTag = body["profile_tag"];
  if (profileTag !== undefined && profileTag !== null && typeof profileTag !== "string") throw invalidParam("profile_tag must be a string");
  const append = body["append"] ?? false;
  if (typeof append !== "boolean") throw invalidParam("append must be a boolean");
  const settings: PusherSettings = {
    delete: false,
    kind: kind as PusherKind,
    appId,
    pushkey,
    appDisplayName: requireString(body, "app_display_name"),
    deviceDisplayName: requireString(body, "device_display_name"),
    profileTag: typeof profileTag === "string" ? profileTag : null,
    lang: requireString(body, "lang"),
    data: data as Record<string, unknown>,
    append,
  };
  if (settings.kind === "http") checkHttpData(settings.data);
  return settings;
}

function requireString(body: Record<string, unknown>, key: string): string {
  const value = body[key];
  if (value === undefined) throw missingParam(`Missing parameters: ${key}`);
  if (typeof value !== "string") throw invalidParam(`${key} must be a string`);
  return value;
}

function checkHttpData(data: Record<string, unknown>): void {
  const url = data["url"];
  if (typeof url !== "string") throw invalidParam("data.url is required for an HTTP pusher");
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidParam("data.url is not a URL");
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") throw invalidParam("data.url must be an https URL");
  if (parsed.pathname !== NOTIFY_PATH) throw invalidParam(`data.url must have the path ${NOTIFY_PATH}`);
  if (parsed.username !== "" || parsed.password !== "") throw invalidParam("data.url must not hold credentials");
  const format = data["format"];
  if (format !== undefined && typeof format !== "string") throw invalidParam("data.format must be a string");
}
