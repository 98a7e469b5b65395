/**
 * GET /devices, GET|PUT|DELETE /devices/{deviceId}, POST /delete_devices — client-server API
 * "Device management". Deleting needs user-interactive auth.
 */
import { z } from "zod";
import { clientPaths, defineRoute } from "../../route.js";

export const getDevices = defineRoute({
  operationId: "getDevices",
  method: "GET",
  paths: clientPaths("/devices"),
  auth: "user",
  async handle({ deps, requester }) {
    return { devices: await deps.devices.list(requester!.userId) };
  },
});

export const getDevice = defineRoute({
  operationId: "getDevice",
  method: "GET",
  paths: clientPaths("/devices/:deviceId"),
  auth: "user",
  handle: ({ deps, requester, params }) => deps.devices.get(requester!.userId, params["deviceId"] as string),
});

export const updateDevice = defineRoute({
  operationId: "updateDevice",
  method: "PUT",
  paths: clientPaths("/devices/:deviceId"),
  auth: "user",
  body: z.object({ display_name: z.string().nullable().optional() }),
  async handle({ deps, requester, params, body }) {
    if (body.display_name !== undefined) await deps.devices.rename(requester!.userId, params["deviceId"] as string, body.display_name);
    else await deps.devices.get(requester!.userId, params["deviceId"] as string);
    return {};
  },
});

export const deleteDevice = defineRoute({
  operationId: "deleteDevice",
  method: "DELETE",
  paths: clientPaths("/devices/:deviceId"),
  auth: "user",
  body: z.object({ auth: z.record(z.string(), z.unknown()).optional() }),
  async handle({ deps, requester, params, body }) {
    const user = requester!;
    const deviceId = params["deviceId"] as string;
    await deps.devices.get(user.userId, deviceId);
    const outcome = await deps.uia.authenticate(
      { method: "DELETE", path: `/devices/${deviceId}`, auth: body.auth, clientDict: {}, userId: user.userId },
      [{ stages: ["m.login.password"] }],
    );
    await deps.devices.delete(user.userId, [deviceId]);
    await deps.uia.finish(outcome.sessionId);
    return {};
  },
});

export const deleteDevices = defineRoute({
  operationId: "deleteDevices",
  method: "POST",
  paths: clientPaths("/delete_devices"),
  auth: "user",
  body: z.object({ devices: z.array(z.string()), auth: z.record(z.string(), z.unknown()).optional() }),
  async handle({ deps, requester, body }) {
    const user = requester!;
    const outcome = await deps.uia.authenticate(
      { method: "POST", path: "/delete_devices", auth: body.auth, clientDict: {}, userId: user.userId },
      [{ stages: ["m.login.password"] }],
    );
    await deps.devices.delete(user.userId, body.devices);
    await deps.uia.finish(outcome.sessionId);
    return {};
  },
});
