/** Room aliases and the published room directory. */
import type { Route } from "../../route.js";
import { deleteRoomAlias } from "./deleteRoomAlias.js";
import { getLocalAliases } from "./getLocalAliases.js";
import { getPublicRooms } from "./getPublicRooms.js";
import { getRoomIdByAlias } from "./getRoomIdByAlias.js";
import { getRoomVisibilityOnDirectory } from "./getRoomVisibilityOnDirectory.js";
import { queryPublicRooms } from "./queryPublicRooms.js";
import { setRoomAlias } from "./setRoomAlias.js";
import { setRoomVisibilityOnDirectory } from "./setRoomVisibilityOnDirectory.js";

export const directoryRoutes = [
  setRoomAlias,
  getRoomIdByAlias,
  deleteRoomAlias,
  getLocalAliases,
  getRoomVisibilityOnDirectory,
  setRoomVisibilityOnDirectory,
  getPublicRooms,
  queryPublicRooms,
] as Route<unknown>[];
