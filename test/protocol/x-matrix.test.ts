import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseXMatrix, requestJson, signRequest, verifyRequest, XMatrixError } from "../../src/protocol/x-matrix.js";
import { generateSigningKey } from "../../src/protocol/signing-key.js";

describe("X-Matrix request authentication", () => {
  it("parses the forms RFC 9110 allows and older servers send", () => {
    const cases: [string, ReturnType<typeof parseXMatrix>][] = [
      ['X-Matrix origin="a.example",destination="b.example",key="ed25519:k1",sig="ABC"', { origin: "a.example", destination: "b.example", key: "ed25519:k1", sig: "ABC" }],
      // Case-insensitive scheme and names, any order, spaces and tabs around commas.
      ['x-matrix  SIG="ABC" ,\tKey="ed25519:k1", Origin="a.example"', { origin: "a.example", key: "ed25519:k1", sig: "ABC" }],
      // Token values unquoted; colons tolerated unquoted (origin with a port, key IDs).
      ["X-Matrix origin=a.example:8448,key=ed25519:k1,sig=ABC", { origin: "a.example:8448", key: "ed25519:k1", sig: "ABC" }],
      // Backslash escapes are undone; unknown parameters ignored.
      ['X-Matrix origin="a\\.example",key="ed25519:k1",sig="A\\"B",extra="x"', { origin: "a.example", key: "ed25519:k1", sig: 'A"B' }],
    ];
    for (const [header, expected] of cases) assert.deepEqual(parseXMatrix(header), expected, header);
  });

  it("refuses what is not an X-Matrix header or lacks a parameter", () => {
    for (const header of ["Bearer abc", 'X-Matrix origin="a"', 'X-Matrix origin="a",key="k",sig="unterminated', "X-Matrix origin", "X-Matrix =x", 'X-Matrix origin="a" key="k",sig="s"', "X-Matrix"]) {
      assert.throws(() => parseXMatrix(header), XMatrixError, header);
    }
  });

  it("signs the request JSON and verifies it; any change to method, uri, destination or content fails", () => {
    const key = generateSigningKey("k1");
    const request = { method: "PUT", uri: "/_matrix/federation/v1/send/1?x=y", origin: "a.example", destination: "b.example", content: { pdus: [] } };
    const header = signRequest(request, key);
    const parsed = parseXMatrix(header);
    assert.deepEqual({ ...parsed, sig: "" }, { origin: "a.example", destination: "b.example", key: "ed25519:k1", sig: "" });
    assert.ok(verifyRequest(request, parsed.sig, key.publicKey));
    for (const changed of [{ ...request, method: "POST" }, { ...request, uri: "/_matrix/federation/v1/send/2" }, { ...request, destination: "c.example" }, { ...request, content: { pdus: [1] } }]) {
      assert.ok(!verifyRequest(changed, parsed.sig, key.publicKey));
    }
    assert.ok(!verifyRequest(request, parsed.sig, generateSigningKey("k2").publicKey));
    assert.deepEqual(requestJson({ method: "GET", uri: "/x", origin: "a", destination: "b" }), { method: "GET", uri: "/x", origin: "a", destination: "b" }, "no content key without a body");
  });
});
