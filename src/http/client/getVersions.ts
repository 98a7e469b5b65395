/** GET /_matrix/client/versions — client-server API "Server discovery: API versions". */
import { defineRoute } from "../route.js";

/** Spec versions whose client features Tessera implements; more are claimed as their issues land. */
export const SUPPORTED_SPEC_VERSIONS = [
  "r0.0.1", "r0.1.0", "r0.2.0", "r0.3.0", "r0.4.0", "r0.5.0", "r0.6.0", "r0.6.1",
  "v1.1", "v1.2", "v1.3", "v1.4", "v1.5", "v1.6", "v1.7", "v1.8", "v1.9", "v1.10",
  // v1.11: authenticated media (clients then fetch media only through /_matrix/client/v1/media).
  "v1.11",
];

/** Unstable features (MSCs) Tessera implements under their unstable prefixes. */
export const UNSTABLE_FEATURES: Readonly<Record<string, boolean>> = {
  // Dehydrated devices (end-to-end encryption).
  "org.matrix.msc3814": true,
};

export const getVersions = defineRoute({
  operationId: "getVersions",
  method: "GET",
  paths: ["/_matrix/client/versions"],
  auth: "none",
  handle: () => ({ versions: SUPPORTED_SPEC_VERSIONS, unstable_features: UNSTABLE_FEATURES }),
});
