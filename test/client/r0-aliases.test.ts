import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ApiClient } from "../harness/client.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { routesForResources } from "../../src/http/routes.js";
import { isR0Path, r0Rewriter } from "../../src/http/r0-aliases.js";
import type { Route } from "../../src/http/route.js";

/** A route pattern with every `:param` filled in (the requests need not name anything that exists). */
const filled = (path: string): string => path.replace(/:[A-Za-z]+/g, "x");

describe("r0 aliases", () => {
  it("rewrite an alias to its v3 twin, with its parameters and query, and nothing else", () => {
    const route = (paths: string[]): Route<unknown> => ({ operationId: "test", method: "GET", paths, auth: "none", handle: () => ({}) });
    const rewrite = r0Rewriter([
      route(["/_matrix/client/v3/rooms/:roomId/messages", "/_matrix/client/r0/rooms/:roomId/messages"]),
      route(["/_matrix/media/v3/config", "/_matrix/media/r0/config"]),
      route(["/_matrix/client/v3/rooms/:roomId/timestamp_to_event"]),
    ]);
    assert.equal(rewrite("/_matrix/client/r0/rooms/!a%3Ab/messages?dir=b&from=/r0/"), "/_matrix/client/v3/rooms/!a%3Ab/messages?dir=b&from=/r0/");
    assert.equal(rewrite("/_matrix/client/r0/rooms/!a%3Ab/messages/"), "/_matrix/client/v3/rooms/!a%3Ab/messages/");
    assert.equal(rewrite("/_matrix/media/r0/config"), "/_matrix/media/v3/config");
    // A newer endpoint has no r0 alias; v3 paths and unknown ones pass through as they are.
    assert.equal(rewrite("/_matrix/client/r0/rooms/!a%3Ab/timestamp_to_event"), "/_matrix/client/r0/rooms/!a%3Ab/timestamp_to_event");
    assert.equal(rewrite("/_matrix/client/v3/rooms/!a%3Ab/messages?from=/r0/"), "/_matrix/client/v3/rooms/!a%3Ab/messages?from=/r0/");
    assert.equal(rewrite("/_matrix/client/r0/rooms/!a%3Ab/messages/extra"), "/_matrix/client/r0/rooms/!a%3Ab/messages/extra");
    assert.throws(() => r0Rewriter([route(["/_matrix/client/r0/lonely"])]), /no v3 twin/);
  });

  describe("on a server", () => {
    let hs: TestServer;
    const api = (): ApiClient => new ApiClient(hs.url);
    before(async () => {
      hs = await startTestServer();
    });
    after(async () => hs.destroy());

    // Without a token every call is cheap and changes nothing that the twin's answer depends on.
    const routes = routesForResources(["client"]).filter((route) => route.paths.some(isR0Path));

    it("answer every r0 alias as its v3 twin", async () => {
      assert.ok(routes.length > 100, `only ${routes.length} routes with r0 aliases`);
      for (const route of routes) {
        for (const r0 of route.paths.filter(isR0Path)) {
          const v3 = r0.replace("/r0/", "/v3/");
          const body = route.method === "GET" || route.method === "DELETE" ? undefined : {};
          const viaR0 = await api().request(route.method, filled(r0), body, { token: null });
          const viaV3 = await api().request(route.method, filled(v3), body, { token: null });
          assert.notEqual((viaR0.body as { errcode?: string }).errcode, "M_UNRECOGNIZED", `${route.method} ${r0}: not routed`);
          assert.equal(viaR0.status, viaV3.status, `${route.method} ${r0}: ${viaR0.status} against ${viaV3.status} for v3`);
          assert.equal((viaR0.body as { errcode?: string }).errcode, (viaV3.body as { errcode?: string }).errcode, `${route.method} ${r0}`);
        }
      }
    });

    it("leave r0 unknown for endpoints newer than r0, and answer 405 for another method", async () => {
      const newer = routesForResources(["client"]).find((route) => route.paths.some((p) => p.startsWith("/_matrix/client/v3/")) && !route.paths.some(isR0Path));
      assert.ok(newer, "no v3 endpoint without an r0 alias");
      const path = filled((newer.paths.find((p) => p.startsWith("/_matrix/client/v3/")) as string).replace("/v3/", "/r0/"));
      const unknown = await api().request(newer.method, path, newer.method === "GET" ? undefined : {}, { token: null });
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body["errcode"], "M_UNRECOGNIZED");
      const wrongMethod = await api().request("DELETE", "/_matrix/client/r0/account/whoami", undefined, { token: null });
      assert.equal(wrongMethod.status, 405);
      assert.equal(wrongMethod.body["errcode"], "M_UNRECOGNIZED");
    });
  });
});
