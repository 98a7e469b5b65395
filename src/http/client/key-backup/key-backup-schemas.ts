/**
 * What the key backup routes share: the `version` query parameter and the request bodies (client-server
 * API "Server-side key backups"). Wrong types are 400 M_BAD_JSON, absent fields 400 M_MISSING_PARAM.
 */
import { z } from "zod";
import { requiredParam } from "../../query-params.js";
import type { RouteRequest } from "../../route.js";

const jsonObject = z.record(z.string(), z.unknown());

/** KeyBackupData: the three fields the server compares, and the client's encrypted session data. */
export const keyBackupData = z.looseObject({
  first_message_index: z.number().int().min(0),
  forwarded_count: z.number().int().min(0),
  is_verified: z.boolean(),
  session_data: jsonObject,
});

/** RoomKeyBackup: a room's keys by session ID. */
export const roomKeyBackup = z.looseObject({ sessions: z.record(z.string(), keyBackupData) });

/** The one algorithm the spec defines; its auth_data has a required format. */
const MEGOLM_BACKUP_V1 = "m.megolm_backup.v1.curve25519-aes-sha2";

/**
 * `algorithm` and `auth_data` of POST and PUT /room_keys/version. Other algorithms are stored as they
 * come, as Synapse does: the server never reads the keys, and new algorithms (MSC4048) arrive as
 * namespaced experiments before the spec lists them.
 */
export const backupVersion = z
  .looseObject({ algorithm: z.string().min(1), auth_data: jsonObject, version: z.string().optional() })
  .superRefine((body, ctx) => {
    if (body.algorithm !== MEGOLM_BACKUP_V1) return;
    if (typeof body.auth_data["public_key"] !== "string") {
      ctx.addIssue({ code: "custom", path: ["auth_data", "public_key"], message: `${MEGOLM_BACKUP_V1} needs a public_key string` });
    }
    const signatures = body.auth_data["signatures"];
    if (signatures !== undefined && (signatures === null || typeof signatures !== "object" || Array.isArray(signatures))) {
      ctx.addIssue({ code: "custom", path: ["auth_data", "signatures"], message: "signatures must be an object" });
    }
  });

/** The `version` query parameter every /room_keys/keys route requires (400 M_MISSING_PARAM without it). */
export function versionParam(request: RouteRequest<unknown>): string {
  return requiredParam(request, "version");
}
