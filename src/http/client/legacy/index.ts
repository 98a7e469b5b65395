/** Deprecated endpoints older clients still use: the event stream, initial syncs, peeking. */
import type { Route } from "../../route.js";
import { getEvents } from "./getEvents.js";
import { getOneEvent } from "./getOneEvent.js";
import { initialSync } from "./initialSync.js";
import { roomInitialSync } from "./roomInitialSync.js";

export const legacyRoutes = [getEvents, getOneEvent, initialSync, roomInitialSync] as Route<unknown>[];
