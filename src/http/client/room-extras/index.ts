/** Room extras: upgrades, space hierarchies, room summaries, mutual rooms, jump to date, reports. */
import type { Route } from "../../route.js";
import { getEventByTimestamp } from "./getEventByTimestamp.js";
import { getMutualRooms } from "./getMutualRooms.js";
import { getRoomSummary } from "./getRoomSummary.js";
import { getSpaceHierarchy } from "./getSpaceHierarchy.js";
import { reportEvent } from "./reportEvent.js";
import { reportRoom } from "./reportRoom.js";
import { reportUser } from "./reportUser.js";
import { upgradeRoom } from "./upgradeRoom.js";

export const roomExtraRoutes = [
  upgradeRoom,
  getSpaceHierarchy,
  getRoomSummary,
  getMutualRooms,
  getEventByTimestamp,
  reportEvent,
  reportRoom,
  reportUser,
] as Route<unknown>[];
