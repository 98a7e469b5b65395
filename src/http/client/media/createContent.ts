/** POST /_matrix/media/v1/create — client-server API "Content repository" (createContent): an mxc:// URI for an asynchronous upload. */
import { refuseIfSuspended } from "../../../services/accounts/suspension.js";
import { defineRoute } from "../../route.js";
import { mediaPaths } from "./media-paths.js";

export const createContent = defineRoute({
  operationId: "createContent",
  method: "POST",
  paths: mediaPaths("/create", ["v1"]),
  auth: "user",
  handle: ({ deps, requester }) => {
    refuseIfSuspended(requester);
    return deps.mediaUploads.create(requester!.userId);
  },
});
