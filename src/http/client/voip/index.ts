/** VoIP: TURN server credentials. */
import type { Route } from "../../route.js";
import { getTurnServer } from "./getTurnServer.js";

export const voipRoutes = [getTurnServer] as Route<unknown>[];
