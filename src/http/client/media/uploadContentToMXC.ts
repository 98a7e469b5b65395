/** PUT /_matrix/media/v3/upload/{serverName}/{mediaId} — client-server API "Content repository" (uploadContentToMXC). */
import { refuseIfSuspended } from "../../../services/accounts/suspension.js";
import { defineRoute } from "../../route.js";
import { uploadInput } from "./media-params.js";
import { mediaPaths } from "./media-paths.js";

export const uploadContentToMXC = defineRoute({
  operationId: "uploadContentToMXC",
  method: "PUT",
  paths: mediaPaths("/upload/:serverName/:mediaId", ["v3"]),
  auth: "user",
  streamBody: true,
  handle: async (request) => {
    refuseIfSuspended(request.requester);
    await request.deps.mediaUploads.uploadTo(request.requester!.userId, request.params["serverName"]!, request.params["mediaId"]!, uploadInput(request));
    return {};
  },
});
