/** GET /.well-known/matrix/support — client-server API "Server administration: Support information" (v1.10). */
import { MatrixError } from "../../errors.js";
import { defineRoute } from "../route.js";

export const getWellknownSupport = defineRoute({
  operationId: "getWellknownSupport",
  method: "GET",
  paths: ["/.well-known/matrix/support"],
  auth: "none",
  handle: ({ deps }) => {
    const support = deps.config.well_known.support;
    // The spec's only answer without support information is a 404.
    if (!support) throw new MatrixError(404, "M_NOT_FOUND", "No support information is configured");
    return {
      ...(support.contacts && support.contacts.length > 0 ? { contacts: support.contacts } : {}),
      ...(support.support_page !== undefined ? { support_page: support.support_page } : {}),
    };
  },
});
