/**
 * Account suspension (client-server API "Account suspension"): a suspended user may read, leave,
 * redact their own events and manage their devices, but not join, knock, invite, create rooms, send
 * events or change their profile. The actions that refuse call this.
 */
import { MatrixError } from "../../errors.js";
import type { Requester } from "./requester.js";

/** Throws 403 M_USER_SUSPENDED when the requester's account is suspended. */
export function refuseIfSuspended(requester: Pick<Requester, "isSuspended"> | undefined): void {
  if (requester?.isSuspended) throw new MatrixError(403, "M_USER_SUSPENDED", "You cannot perform this action while suspended");
}
