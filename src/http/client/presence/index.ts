/** Presence: a user's own status and the status of users they share a room with. */
import type { Route } from "../../route.js";
import { getPresence } from "./getPresence.js";
import { setPresence } from "./setPresence.js";

export const presenceRoutes = [setPresence, getPresence] as Route<unknown>[];
