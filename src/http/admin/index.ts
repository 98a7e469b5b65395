/** Admin API routes. */
import type { Route } from "../route.js";
import { getRegistrationNonce, registerWithSharedSecret } from "./registerWithSharedSecret.js";
import { sendServerNotice, sendServerNoticeWithTxn } from "./sendServerNotice.js";

export const adminRoutes: Route<unknown>[] = [getRegistrationNonce, registerWithSharedSecret, sendServerNotice, sendServerNoticeWithTxn] as Route<unknown>[];
