/**
 * GET|PUT|DELETE /_matrix/client/unstable/org.matrix.msc3814.v1/dehydrated_device and its events
 * (GET with `from`, POST with `next_batch`) — MSC3814 "Dehydrated devices", not yet in the stable spec.
 */
import { z } from "zod";
import { singleParam } from "../../query-params.js";
import { clientPaths, defineRoute } from "../../route.js";

const MSC3814 = { versions: ["unstable/org.matrix.msc3814.v1"], r0: false } as const;

export const getDehydratedDevice = defineRoute({
  operationId: "getDehydratedDevice",
  method: "GET",
  paths: clientPaths("/dehydrated_device", MSC3814),
  auth: "user",
  handle: ({ deps, requester }) => deps.dehydratedDevices.get(requester!.userId),
});

export const putDehydratedDevice = defineRoute({
  operationId: "putDehydratedDevice",
  method: "PUT",
  paths: clientPaths("/dehydrated_device", MSC3814),
  auth: "user",
  body: z.looseObject({
    device_id: z.unknown(),
    device_data: z.unknown(),
    initial_device_display_name: z.unknown().optional(),
    device_keys: z.unknown().optional(),
    one_time_keys: z.unknown().optional(),
    fallback_keys: z.unknown().optional(),
  }),
  handle: ({ deps, requester, body }) => deps.dehydratedDevices.put(requester!.userId, body),
});

export const deleteDehydratedDevice = defineRoute({
  operationId: "deleteDehydratedDevice",
  method: "DELETE",
  paths: clientPaths("/dehydrated_device", MSC3814),
  auth: "user",
  handle: ({ deps, requester }) => deps.dehydratedDevices.delete(requester!.userId),
});

export const getDehydratedDeviceEvents = defineRoute({
  operationId: "getDehydratedDeviceEvents",
  method: "GET",
  paths: clientPaths("/dehydrated_device/:deviceId/events", MSC3814),
  auth: "user",
  handle: (request) => request.deps.dehydratedDevices.events(request.requester!.userId, request.params["deviceId"] as string, singleParam(request, "from"), "get"),
});

export const postDehydratedDeviceEvents = defineRoute({
  operationId: "postDehydratedDeviceEvents",
  method: "POST",
  paths: clientPaths("/dehydrated_device/:deviceId/events", MSC3814),
  auth: "user",
  body: z.object({ next_batch: z.string().nullable().optional() }),
  handle: ({ deps, requester, params, body }) => deps.dehydratedDevices.events(requester!.userId, params["deviceId"] as string, body.next_batch ?? undefined, "post"),
});
