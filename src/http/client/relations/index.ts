/** Relations and threads: child events of an event and the threads of a room. */
import type { Route } from "../../route.js";
import { getRelatingEvents } from "./getRelatingEvents.js";
import { getRelatingEventsWithRelType } from "./getRelatingEventsWithRelType.js";
import { getRelatingEventsWithRelTypeAndEventType } from "./getRelatingEventsWithRelTypeAndEventType.js";
import { getThreadRoots } from "./getThreadRoots.js";

export const relationRoutes = [getRelatingEvents, getRelatingEventsWithRelType, getRelatingEventsWithRelTypeAndEventType, getThreadRoots] as Route<unknown>[];
