/** User data: account data (global and per room) and room tags. */
import type { Route } from "../../route.js";
import { deleteRoomTag } from "./deleteRoomTag.js";
import { getAccountData } from "./getAccountData.js";
import { getAccountDataPerRoom } from "./getAccountDataPerRoom.js";
import { getRoomTags } from "./getRoomTags.js";
import { setAccountData } from "./setAccountData.js";
import { setAccountDataPerRoom } from "./setAccountDataPerRoom.js";
import { setRoomTag } from "./setRoomTag.js";

export const userDataRoutes = [
  getAccountData,
  setAccountData,
  getAccountDataPerRoom,
  setAccountDataPerRoom,
  getRoomTags,
  setRoomTag,
  deleteRoomTag,
] as Route<unknown>[];
