/** Ephemeral room data: typing notifications, receipts, read markers. */
import type { Route } from "../../route.js";
import { postReceipt } from "./postReceipt.js";
import { setReadMarker } from "./setReadMarker.js";
import { setTyping } from "./setTyping.js";

export const ephemeralRoutes = [setTyping, postReceipt, setReadMarker] as Route<unknown>[];
