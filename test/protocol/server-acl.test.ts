import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { globToRegExp, parseServerAcl, serverAllowedByAcl } from "../../src/protocol/server-acl.js";

describe("server ACLs (m.room.server_acl)", () => {
  // The example of the event's schema in the spec.
  const example = parseServerAcl({ allow: ["*"], allow_ip_literals: false, deny: ["*.evil.com", "evil.com"] });

  it("applies the spec's example: evil.com and its subdomains denied, IP literals denied, others allowed", () => {
    for (const server of ["evil.com", "evil.com:8448", "evil.com:1234", "sub.evil.com", "a.b.evil.com:443", "EVIL.COM", "Sub.Evil.Com"]) {
      assert.equal(serverAllowedByAcl(example, server), false, server);
    }
    for (const server of ["1.2.3.4", "1.2.3.4:8448", "[::1]", "[2001:db8::1]:8448"]) assert.equal(serverAllowedByAcl(example, server), false, server);
    for (const server of ["matrix.org", "good.com:8448", "notevil.com", "evil.com.example.org"]) assert.equal(serverAllowedByAcl(example, server), true, server);
  });

  it("allows IP literals unless allow_ip_literals is false (a non-boolean counts as true)", () => {
    assert.equal(serverAllowedByAcl(parseServerAcl({ allow: ["*"] }), "1.2.3.4"), true);
    assert.equal(serverAllowedByAcl(parseServerAcl({ allow: ["*"], allow_ip_literals: "false" }), "1.2.3.4:80"), true);
    assert.equal(serverAllowedByAcl(parseServerAcl({ allow: ["*"], allow_ip_literals: true }), "[::1]:8448"), true);
    assert.equal(serverAllowedByAcl(parseServerAcl({ allow: ["*"], allow_ip_literals: false }), "127.0.0.1:8448"), false);
    // An IPv6 literal is matched as written, brackets included.
    assert.equal(serverAllowedByAcl(parseServerAcl({ allow: ["[::1]"] }), "[::1]:8448"), true);
  });

  it("denies everyone without an allow list, and deny wins over allow", () => {
    assert.equal(serverAllowedByAcl(parseServerAcl({}), "matrix.org"), false);
    assert.equal(serverAllowedByAcl(parseServerAcl({ deny: ["evil.com"] }), "matrix.org"), false);
    assert.equal(serverAllowedByAcl(parseServerAcl({ allow: "*" }), "matrix.org"), false);
    assert.equal(serverAllowedByAcl(parseServerAcl({ allow: ["matrix.org"], deny: ["matrix.org"] }), "matrix.org"), false);
    assert.equal(serverAllowedByAcl(parseServerAcl({ allow: ["matrix.org"] }), "matrix.org:8448"), true);
    assert.equal(serverAllowedByAcl(parseServerAcl({ allow: ["matrix.org"] }), "other.org"), false);
    assert.equal(serverAllowedByAcl(parseServerAcl(null), "matrix.org"), false);
  });

  it("skips entries that are not strings", () => {
    const acl = parseServerAcl({ allow: [42, "*"], deny: [null, "evil.com", { x: 1 }] });
    assert.equal(serverAllowedByAcl(acl, "good.org"), true);
    assert.equal(serverAllowedByAcl(acl, "evil.com"), false);
  });

  it("matches globs: * any run, ? exactly one character, everything else literally and case-insensitively", () => {
    assert.ok(globToRegExp("*.example.org").test("a.example.org"));
    assert.ok(!globToRegExp("*.example.org").test("example.org"));
    assert.ok(globToRegExp("ex?mple.org").test("exAmple.org"));
    assert.ok(!globToRegExp("ex?mple.org").test("exmple.org"));
    assert.ok(!globToRegExp("ex?mple.org").test("exaample.org"));
    // The dot is a dot, not "any character".
    assert.ok(!globToRegExp("a.b").test("axb"));
    assert.ok(globToRegExp("*").test(""));
    assert.ok(globToRegExp("a-b.org").test("A-B.ORG"));
    assert.ok(!globToRegExp("a(b").test("ab"));
  });

  it("denies a name that is not a server name", () => {
    const acl = parseServerAcl({ allow: ["*"] });
    assert.equal(serverAllowedByAcl(acl, ""), false);
    assert.equal(serverAllowedByAcl(acl, "bad name"), false);
    assert.equal(serverAllowedByAcl(acl, "host:99999"), false);
  });
});
