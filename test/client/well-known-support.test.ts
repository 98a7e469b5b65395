import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ApiClient } from "../harness/client.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { DATABASE_KINDS, isPostgresAvailable, POSTGRES_SKIP_MESSAGE } from "../harness/databases.js";
import { ConfigError, validateConfig } from "../../src/config/load-config.js";

const SUPPORT = "/.well-known/matrix/support";

const configured = {
  contacts: [
    { matrix_id: "@admin:elsewhere.example", email_address: "admin@example.org", role: "m.role.admin" },
    { email_address: "security@example.org", role: "m.role.security" },
  ],
  support_page: "https://example.org/support.html",
};

for (const database of DATABASE_KINDS) {
  describe(`GET ${SUPPORT} on ${database}`, { skip: database === "postgres" && !(await isPostgresAvailable()) ? POSTGRES_SKIP_MESSAGE : false }, () => {
    let bare: TestServer;
    let withSupport: TestServer;
    let pageOnly: TestServer;

    before(async () => {
      bare = await startTestServer({ database });
      withSupport = await startTestServer({ database, config: { well_known: { support: configured } } });
      pageOnly = await startTestServer({ database, config: { well_known: { support: { support_page: "https://example.org/help" } } } });
    });
    after(async () => {
      await bare.destroy();
      await withSupport.destroy();
      await pageOnly.destroy();
    });

    it("answers 404 M_NOT_FOUND when no support information is configured", async () => {
      const answer = await new ApiClient(bare.url).get(SUPPORT, { token: null });
      assert.equal(answer.status, 404);
      assert.equal(answer.body["errcode"], "M_NOT_FOUND");
    });

    it("serves the configured contacts and support page, without a token and with CORS headers", async () => {
      const answer = await new ApiClient(withSupport.url).get(SUPPORT, { token: null });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.deepEqual(answer.body, configured);
      assert.equal(answer.headers.get("access-control-allow-origin"), "*");
      assert.match(answer.headers.get("content-type") ?? "", /^application\/json/);
    });

    it("leaves out contacts when only a support page is configured", async () => {
      const answer = await new ApiClient(pageOnly.url).get(SUPPORT, { token: null });
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.body, { support_page: "https://example.org/help" });
    });
  });
}

describe("well_known.support in the config", () => {
  const check = (support: unknown): void => {
    validateConfig({ well_known: { support } });
  };

  it("accepts what the spec allows", () => {
    check(configured);
    check({ contacts: [{ matrix_id: "@admin:example.org", role: "org.example.role.billing" }] });
    check({ contacts: [], support_page: "https://example.org/" });
  });

  it("refuses what the spec does not", () => {
    for (const [why, support] of [
      ["neither contacts nor a support page", {}],
      ["an empty contact list and no page", { contacts: [] }],
      ["a contact with neither a Matrix ID nor an email address", { contacts: [{ role: "m.role.admin" }] }],
      ["a contact without a role", { contacts: [{ email_address: "admin@example.org" }] }],
      ["a Matrix ID that is not a user ID", { contacts: [{ matrix_id: "admin", role: "m.role.admin" }] }],
      ["an email address that is not one", { contacts: [{ email_address: "admin", role: "m.role.admin" }] }],
      ["a support page that is not a URL", { support_page: "support" }],
      ["an unknown key", { support_page: "https://example.org/", phone: "123" }],
    ] as const) {
      assert.throws(() => check(support), ConfigError, why);
    }
  });
});
