/** Rooms: creation, membership, events, state, history. */
import type { Route } from "../../route.js";
import { createRoom } from "./createRoom.js";
import { getJoinedMembersByRoom, getMembersByRoom, getOneRoomEvent, getRoomState, getRoomStateWithKey, redactEvent, sendMessage, setRoomStateWithKey } from "./events.js";
import { getEventContext, getRoomEvents } from "./history.js";
import { ban, forgetRoom, getJoinedRooms, inviteUser, joinRoom, kick, knockRoom, leaveRoom, unban } from "./membership.js";

export const roomRoutes = [
  createRoom,
  joinRoom,
  knockRoom,
  inviteUser,
  leaveRoom,
  forgetRoom,
  kick,
  ban,
  unban,
  getJoinedRooms,
  sendMessage,
  redactEvent,
  setRoomStateWithKey,
  getRoomStateWithKey,
  getRoomState,
  getOneRoomEvent,
  getMembersByRoom,
  getJoinedMembersByRoom,
  getRoomEvents,
  getEventContext,
] as Route<unknown>[];
