/** Server-side key backups: backup versions and the room keys stored in them. */
import type { Route } from "../../route.js";
import { deleteRoomKeyBySessionId } from "./deleteRoomKeyBySessionId.js";
import { deleteRoomKeys } from "./deleteRoomKeys.js";
import { deleteRoomKeysByRoomId } from "./deleteRoomKeysByRoomId.js";
import { deleteRoomKeysVersion } from "./deleteRoomKeysVersion.js";
import { getRoomKeyBySessionId } from "./getRoomKeyBySessionId.js";
import { getRoomKeys } from "./getRoomKeys.js";
import { getRoomKeysByRoomId } from "./getRoomKeysByRoomId.js";
import { getRoomKeysVersion } from "./getRoomKeysVersion.js";
import { getRoomKeysVersionCurrent } from "./getRoomKeysVersionCurrent.js";
import { postRoomKeysVersion } from "./postRoomKeysVersion.js";
import { putRoomKeyBySessionId } from "./putRoomKeyBySessionId.js";
import { putRoomKeys } from "./putRoomKeys.js";
import { putRoomKeysByRoomId } from "./putRoomKeysByRoomId.js";
import { putRoomKeysVersion } from "./putRoomKeysVersion.js";

export const keyBackupRoutes = [
  postRoomKeysVersion,
  getRoomKeysVersionCurrent,
  getRoomKeysVersion,
  putRoomKeysVersion,
  deleteRoomKeysVersion,
  putRoomKeys,
  getRoomKeys,
  deleteRoomKeys,
  putRoomKeysByRoomId,
  getRoomKeysByRoomId,
  deleteRoomKeysByRoomId,
  putRoomKeyBySessionId,
  getRoomKeyBySessionId,
  deleteRoomKeyBySessionId,
] as Route<unknown>[];
