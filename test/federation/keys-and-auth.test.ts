import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:https";
import { startFederatedServer, type FederatedServer } from "../harness/federation.js";
import { verifyJsonSignature } from "../../src/protocol/signing.js";
import { decodeBase64 } from "../../src/protocol/base64.js";
import { FederationError } from "../../src/services/federation/federation-client.js";
import { generateSigningKey, publicKeyBase64 } from "../../src/protocol/signing-key.js";
import { signRequest } from "../../src/protocol/x-matrix.js";

type Json = Record<string, unknown>;

/** A raw HTTPS request to a server's federation listener (no signature unless given). */
function rawRequest(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; body: Json }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method, path, headers: { ...headers, ...(body ? { "content-type": "application/json" } : {}) }, rejectUnauthorized: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString() || "{}") as Json }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("federation: server keys, notary and request authentication", () => {
  let one: FederatedServer;
  let two: FederatedServer;

  before(async () => {
    one = await startFederatedServer();
    two = await startFederatedServer();
  });
  after(async () => {
    await one?.destroy();
    await two?.destroy();
  });

  it("publishes a self-signed key document valid for at most 7 days", async () => {
    const answer = await rawRequest(one.federationPort, "GET", "/_matrix/key/v2/server");
    assert.equal(answer.status, 200);
    const doc = answer.body;
    assert.equal(doc["server_name"], one.serverName);
    const verifyKeys = doc["verify_keys"] as Record<string, { key: string }>;
    const [keyId, { key }] = Object.entries(verifyKeys)[0]!;
    assert.ok(verifyJsonSignature(doc, one.serverName, keyId, decodeBase64(key)));
    const validUntil = doc["valid_until_ts"] as number;
    assert.ok(validUntil > Date.now() && validUntil <= Date.now() + 7 * 86_400_000);
    assert.deepEqual(doc["old_verify_keys"], {});
    const version = await rawRequest(one.federationPort, "GET", "/_matrix/federation/v1/version");
    assert.equal((version.body["server"] as Json)["name"], "Tessera");
  });

  it("publishes the keys used before a rotation (federation.old_signing_keys) as old_verify_keys, and a notary passes them on", async () => {
    const old = generateSigningKey("retired");
    const expired = Date.now() - 60_000;
    const rotated = await startFederatedServer({ config: { federation: { old_signing_keys: { [old.keyId]: { key: publicKeyBase64(old), expired_ts: expired } } } } });
    try {
      const doc = (await rawRequest(rotated.federationPort, "GET", "/_matrix/key/v2/server")).body;
      assert.deepEqual(doc["old_verify_keys"], { [old.keyId]: { key: publicKeyBase64(old), expired_ts: expired } });
      const keyId = Object.keys(doc["verify_keys"] as Json)[0]!;
      assert.ok(verifyJsonSignature(doc, rotated.serverName, keyId, decodeBase64((doc["verify_keys"] as Record<string, { key: string }>)[keyId]!.key)), "the document is signed with the current key");
      const notarised = await rawRequest(one.federationPort, "POST", "/_matrix/key/v2/query", {}, JSON.stringify({ server_keys: { [rotated.serverName]: {} } }));
      const served = (notarised.body["server_keys"] as Json[])[0]!;
      assert.deepEqual(served["old_verify_keys"], { [old.keyId]: { key: publicKeyBase64(old), expired_ts: expired } });
    } finally {
      await rotated.destroy();
    }
  });

  it("fetches another server's keys and serves them as a notary, countersigned", async () => {
    const answer = await rawRequest(one.federationPort, "POST", "/_matrix/key/v2/query", {}, JSON.stringify({ server_keys: { [two.serverName]: {} } }));
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const docs = answer.body["server_keys"] as Json[];
    assert.equal(docs.length, 1);
    const doc = docs[0]!;
    assert.equal(doc["server_name"], two.serverName);
    const signatures = doc["signatures"] as Record<string, Record<string, string>>;
    assert.ok(signatures[two.serverName], "the origin's own signature is kept");
    const oneKeys = (await rawRequest(one.federationPort, "GET", "/_matrix/key/v2/server")).body["verify_keys"] as Record<string, { key: string }>;
    const [oneKeyId, { key: oneKey }] = Object.entries(oneKeys)[0]!;
    assert.ok(verifyJsonSignature(doc, one.serverName, oneKeyId, decodeBase64(oneKey)), "countersigned by the notary");
    const get = await rawRequest(one.federationPort, "GET", `/_matrix/key/v2/query/${encodeURIComponent(two.serverName)}`);
    assert.equal((get.body["server_keys"] as Json[]).length, 1);
    const unreachable = await rawRequest(one.federationPort, "POST", "/_matrix/key/v2/query", {}, JSON.stringify({ server_keys: { "127.0.0.1:1": {} } }));
    assert.deepEqual(unreachable.body, { server_keys: [] }, "a server that cannot be reached is left out");
  });

  it("accepts a request signed by a known server and refuses unsigned, forged and misdirected ones", async () => {
    // The version endpoint needs no auth; a signed request through the client proves the round trip works.
    const client = one.server.context.services.federationClient;
    const version = (await client.request(two.serverName, "GET", "/_matrix/federation/v1/version")) as Json;
    assert.equal((version["server"] as Json)["name"], "Tessera");

    const authenticator = two.server.context.services.federationAuth;
    const key = one.server.context.secrets.signingKey;
    const path = "/_matrix/federation/v1/query/profile?user_id=%40a%3Ab";
    const header = signRequest({ method: "GET", uri: path, origin: one.serverName, destination: two.serverName }, key);
    assert.equal(await authenticator.authenticate("GET", path, header, undefined), one.serverName, "fetches the origin's key and verifies the signature");

    const refusals: [string, string | undefined, string, unknown][] = [
      ["no header", undefined, path, undefined],
      ["a bearer token", "Bearer abc", path, undefined],
      ["another destination", signRequest({ method: "GET", uri: path, origin: one.serverName, destination: "elsewhere.example" }, key), path, undefined],
      ["another path than signed", header, "/_matrix/federation/v1/query/profile?user_id=%40x%3Ab", undefined],
      ["a body that was not signed", header, path, { injected: true }],
      ["a key the origin does not have", signRequest({ method: "GET", uri: path, origin: one.serverName, destination: two.serverName }, generateSigningKey("other")), path, undefined],
      ["an origin that cannot be reached", signRequest({ method: "GET", uri: path, origin: "127.0.0.1:1", destination: two.serverName }, key), path, undefined],
    ];
    for (const [name, authorization, uri, content] of refusals) {
      await assert.rejects(
        authenticator.authenticate("GET", uri, authorization, content as never),
        (error: { status?: number; errcode?: string }) => error.status === 401 && error.errcode === "M_UNAUTHORIZED",
        name,
      );
    }
    await assert.rejects(client.request("127.0.0.1:1", "GET", "/_matrix/federation/v1/version"), FederationError);
  });

  it("never connects to a blocked address (loopback is blocked unless allowed)", async () => {
    const strict = await startFederatedServer({ config: { federation: { ip_range_allowlist: [] } } });
    try {
      const client = strict.server.context.services.federationClient;
      await assert.rejects(client.request(one.serverName, "GET", "/_matrix/federation/v1/version"), (e: FederationError) => e.status === 0 && /blocked/.test(e.message));
      const keys = await rawRequest(strict.federationPort, "POST", "/_matrix/key/v2/query", {}, JSON.stringify({ server_keys: { [one.serverName]: {} } }));
      assert.deepEqual(keys.body, { server_keys: [] }, "not even for a key fetch");
    } finally {
      await strict.destroy();
    }
  });

  it("answers profile queries of signed requests only (HTTP: 401 M_UNAUTHORIZED without a signature)", async () => {
    const register = await fetch(`${two.url}/_matrix/client/v3/register`, { method: "POST", body: JSON.stringify({ username: "zoe", password: "correct horse battery", auth: { type: "m.login.dummy" } }) });
    const token = ((await register.json()) as Json)["access_token"] as string;
    await fetch(`${two.url}/_matrix/client/v3/profile/${encodeURIComponent(`@zoe:${two.serverName}`)}/displayname`, { method: "PUT", headers: { authorization: `Bearer ${token}` }, body: JSON.stringify({ displayname: "Zoe" }) });
    const path = `/_matrix/federation/v1/query/profile?user_id=${encodeURIComponent(`@zoe:${two.serverName}`)}`;
    const unsigned = await rawRequest(two.federationPort, "GET", path);
    assert.equal(unsigned.status, 401);
    assert.equal(unsigned.body["errcode"], "M_UNAUTHORIZED");
    const client = one.server.context.services.federationClient;
    assert.deepEqual(await client.request(two.serverName, "GET", path), { displayname: "Zoe" });
    assert.deepEqual(await client.request(two.serverName, "GET", `${path}&field=displayname`), { displayname: "Zoe" });
    await assert.rejects(client.request(two.serverName, "GET", `/_matrix/federation/v1/query/profile?user_id=${encodeURIComponent(`@nobody:${two.serverName}`)}`), (e: FederationError) => e.status === 404);
  });
});
