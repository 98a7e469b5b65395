import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  isAcceptableDeviceId,
  isAcceptableTransactionId,
  isIpv6Literal,
  isValidEventId,
  isValidLocalpartForRegistration,
  isValidOpaqueId,
  isValidRoomAlias,
  isValidRoomId,
  isValidServerName,
  isValidUserId,
  MAX_IDENTIFIER_BYTES,
  parseEventId,
  parseRoomAlias,
  parseRoomId,
  parseServerName,
  parseUserId,
  serverNameOf,
  userIdGrammar,
  type ServerName,
  type UserIdGrammar,
} from "../../src/protocol/identifiers.js";
import { getRoomVersion } from "../../src/protocol/room-versions.js";

const bytes = (text: string): number => Buffer.byteLength(text, "utf8");

/** A string of exactly `total` UTF-8 bytes: prefix + filler ASCII + suffix. */
function padTo(total: number, prefix: string, suffix: string, filler = "a"): string {
  return prefix + filler.repeat(total - bytes(prefix) - bytes(suffix)) + suffix;
}

describe("server names", () => {
  it("parses the appendix examples", () => {
    const examples: [string, ServerName][] = [
      ["matrix.org", { host: "matrix.org", kind: "dns" }],
      ["matrix.org:8888", { host: "matrix.org", port: 8888, kind: "dns" }],
      ["1.2.3.4", { host: "1.2.3.4", kind: "ipv4" }],
      ["1.2.3.4:1234", { host: "1.2.3.4", port: 1234, kind: "ipv4" }],
      ["[1234:5678::abcd]", { host: "[1234:5678::abcd]", kind: "ipv6" }],
      ["[1234:5678::abcd]:5678", { host: "[1234:5678::abcd]", port: 5678, kind: "ipv6" }],
    ];
    for (const [text, parsed] of examples) assert.deepEqual(parseServerName(text), parsed, text);
  });

  it("accepts these", () => {
    const valid: [string, ServerName["kind"], number?][] = [
      ["localhost", "dns"],
      ["a", "dns"],
      ["MATRIX.ORG", "dns"],
      ["xn--bcher-kva.example", "dns"],
      ["my-server.example.com", "dns"],
      ["-dash-.example", "dns"], // Synapse takes hyphens at label ends, and so must we
      ["123", "dns"],
      ["1.2.3", "dns"],
      ["1.2.3.4.5", "dns"],
      ["example.com:1", "dns", 1],
      ["example.com:65535", "dns", 65535],
      ["example.com:08448", "dns", 8448],
      ["0.0.0.0", "ipv4"],
      ["255.255.255.255:443", "ipv4", 443],
      ["[::]", "ipv6"],
      ["[::1]", "ipv6"],
      ["[::1]:8448", "ipv6", 8448],
      ["[::ffff:1.2.3.4]", "ipv6"],
      ["[2001:DB8::1]", "ipv6"],
      ["[1:2:3:4:5:6:7:8]", "ipv6"],
      ["[1:2:3:4:5:6:7::]", "ipv6"],
      ["[::2:3:4:5:6:7:8]", "ipv6"],
      ["[1:2:3:4:5:6:1.2.3.4]", "ipv6"],
      ["[0000:0000:0000:0000:0000:ffff:255.255.255.255]:65535", "ipv6", 65535],
      [padTo(255, "", ".org"), "dns"],
      [padTo(255, "", ":8448"), "dns", 8448],
    ];
    for (const [text, kind, port] of valid) {
      const parsed = parseServerName(text);
      assert.ok(parsed, text);
      assert.equal(parsed.kind, kind, text);
      assert.equal(parsed.port, port, text);
      assert.equal(parsed.host + (port === undefined ? "" : `:${text.split(":").pop()}`), text);
    }
  });

  it("refuses these", () => {
    const invalid = [
      "",
      ":8448",
      "matrix.org:",
      "matrix.org:0",
      "matrix.org:00000",
      "matrix.org:65536",
      "matrix.org:123456",
      "matrix.org:-1",
      "matrix.org:+80",
      "matrix.org:80a",
      "matrix.org:80:80",
      "matrix.org.", // trailing dot: an empty label, which Synapse refuses too
      ".matrix.org",
      "matrix..org",
      "matrix_org",
      "mätrix.org",
      " matrix.org",
      "matrix.org ",
      "matrix.org\n",
      "256.1.1.1",
      "1.2.3.999:80",
      "1234:5678::abcd", // an IPv6 literal needs its brackets
      "[1234:5678::abcd",
      "1234:5678::abcd]",
      "[::1]8448",
      "[::1]:",
      "[::1]:0",
      "[::1]:65536",
      "[::1] ",
      "[]",
      "[:]",
      "[:::]",
      "[1::2::3]",
      "[1:2:3:4:5:6:7:8:9]",
      "[1:2:3:4:5:6:7]",
      "[1:2:3:4:5:6:7:8::]",
      "[12345::]",
      "[::g]",
      "[fe80::1%eth0]",
      "[1.2.3.4]",
      "[::1.2.3.256]",
      "[1.2.3.4::]",
      "[1:2:3:4:5:6:7:1.2.3.4]",
      "[::1]:8448]",
      padTo(256, "", ".org"),
      padTo(256, "", ":8448"),
    ];
    for (const text of invalid) {
      assert.equal(parseServerName(text), null, JSON.stringify(text));
      assert.equal(isValidServerName(text), false, JSON.stringify(text));
    }
  });

  it("checks IPv6 text forms of RFC 3513 section 2.2", () => {
    for (const ok of ["1080:0:0:0:8:800:200C:417A", "1080::8:800:200C:417A", "FF01::101", "::1", "::", "0:0:0:0:0:0:13.1.68.3", "::13.1.68.3", "::FFFF:129.144.52.38"]) {
      assert.ok(isIpv6Literal(ok), ok);
    }
    for (const bad of ["1080:0:0:0:8:800:200C", ":1080::1", "1080::1:", "::1::", "1:2:3:4:5:6:7:8:9", "FFFFF::", "::1.2.3", "1"]) {
      assert.equal(isIpv6Literal(bad), false, bad);
    }
  });
});

describe("user IDs", () => {
  const SERVER = "example.org";

  it("classifies localparts into strict, compliant and historical grammars", () => {
    const cases: [string, UserIdGrammar | null][] = [
      ["@alice:example.org", "strict"],
      ["@a.b_c=d-e/f+g0:example.org", "strict"],
      ["@0:1.2.3.4", "strict"],
      ["@x:[::1]:8448", "strict"],
      ["@Alice:example.org", "compliant"], // upper case: fine before v1.8, not for new users
      ["@al!ce~#$%:example.org", "compliant"],
      ["@\u0021\u007e:example.org", "compliant"],
      ["@ali ce:example.org", "historical"], // U+0020 is outside U+0021–U+007E
      ["@:example.org", "historical"], // empty localpart
      ["@é:example.org", "historical"],
      ["@\u0001\u007f:example.org", "historical"],
      ["@😀:example.org", "historical"],
      ["@a\u0000b:example.org", null], // NUL is never allowed
      ["@\ud800:example.org", null], // a lone surrogate is not a code point of text
      ["alice:example.org", null],
      ["#alice:example.org", null],
      ["@alice", null],
      ["@alice:", null],
      ["@alice:bad_server", null],
      ["@alice:example.org:0", null],
      ["@alice:b:example.org", null], // splits at the first colon: server "b:example.org" has a bad port
      ["", null],
    ];
    for (const [id, grammar] of cases) {
      assert.equal(userIdGrammar(id), grammar, JSON.stringify(id));
      assert.equal(isValidUserId(id), grammar === "strict", JSON.stringify(id));
      assert.equal(isValidUserId(id, { historical: true }), grammar !== null, JSON.stringify(id));
    }
  });

  it("splits at the first colon", () => {
    assert.deepEqual(parseUserId("@alice:example.org:8448"), { localpart: "alice", serverName: "example.org:8448" });
    assert.deepEqual(parseUserId("@alice:[1234:5678::abcd]:5678"), { localpart: "alice", serverName: "[1234:5678::abcd]:5678" });
    assert.deepEqual(parseUserId("@ALICE:example.org", { historical: true }), { localpart: "ALICE", serverName: SERVER });
    assert.equal(parseUserId("@ALICE:example.org"), null);
  });

  it("limits the whole ID to 255 bytes, counted in UTF-8", () => {
    const longest = padTo(MAX_IDENTIFIER_BYTES, "@", `:${SERVER}`);
    assert.equal(bytes(longest), 255);
    assert.ok(isValidUserId(longest));
    assert.equal(isValidUserId(padTo(256, "@", `:${SERVER}`)), false);
    assert.equal(isValidUserId(padTo(256, "@", `:${SERVER}`), { historical: true }), false);
    // 124 two-byte characters: 131 UTF-16 units, 255 bytes; one more ASCII character makes 256 bytes.
    const wide = `@${"é".repeat(124)}:x.org`;
    assert.equal(bytes(wide), 255);
    assert.ok(isValidUserId(wide, { historical: true }));
    assert.equal(isValidUserId(`@a${"é".repeat(124)}:x.org`, { historical: true }), false);
    const astral = `@${"😀".repeat(62)}:x.org`; // 4 bytes each: 1 + 248 + 6 = 255
    assert.ok(isValidUserId(astral, { historical: true }));
    assert.equal(isValidUserId(`@😀${astral.slice(1)}`, { historical: true }), false);
  });

  it("allows only the strict grammar for new registrations", () => {
    for (const ok of ["alice", "a.b_c=d-e/f+g", "0", "_bridge_user"]) assert.ok(isValidLocalpartForRegistration(ok), ok);
    for (const bad of ["", "Alice", "al ice", "al:ice", "ålice", "a*", "a@b", "a#b", "a\u0000", "😀"]) {
      assert.equal(isValidLocalpartForRegistration(bad), false, bad);
    }
    const fits = "a".repeat(255 - 1 - 1 - SERVER.length);
    assert.ok(isValidLocalpartForRegistration(fits, SERVER));
    assert.equal(isValidLocalpartForRegistration(`${fits}a`, SERVER), false);
  });

  it("parses only what it can rebuild exactly", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 20 }), fc.constantFrom("", ":example.org", ":[::1]:80", ":a:b"), (local, rest) => {
        const id = `@${local}${rest}`;
        const parts = parseUserId(id, { historical: true });
        if (parts !== null) assert.equal(`@${parts.localpart}:${parts.serverName}`, id);
        if (parseUserId(id) !== null) assert.ok(parts);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("room IDs", () => {
  // The v12 room ID example of the spec (data/api/server-server/examples/pdu_v12.json).
  const V12_ROOM = "!Nhcu5BS-UMnFX7hBVfVSoXiD7OgH6iRT-xyIuqDnpYQ";
  const v11 = getRoomVersion("11");
  const v12 = getRoomVersion("12");

  it("accepts the server form before v12 and the hash form in v12", () => {
    assert.deepEqual(parseRoomId("!OGEhHVWSdvArJzumhm:matrix.org"), { opaque: "OGEhHVWSdvArJzumhm", serverName: "matrix.org" });
    assert.deepEqual(parseRoomId("!OGEhHVWSdvArJzumhm:matrix.org", v11), { opaque: "OGEhHVWSdvArJzumhm", serverName: "matrix.org" });
    assert.equal(parseRoomId("!OGEhHVWSdvArJzumhm:matrix.org", v12), null);
    assert.deepEqual(parseRoomId(V12_ROOM), { opaque: V12_ROOM.slice(1) });
    assert.deepEqual(parseRoomId(V12_ROOM, v12), { opaque: V12_ROOM.slice(1) });
    assert.equal(parseRoomId(V12_ROOM, v11), null);
  });

  it("checks both forms", () => {
    const valid = ["!:example.org", "!a b\u0001é😀:example.org", "!abc:[::1]:80", "!abc:1.2.3.4", padTo(255, "!", ":example.org")];
    for (const id of valid) assert.ok(isValidRoomId(id), JSON.stringify(id));
    const invalid = [
      "!abc",
      "!abc:",
      "abc:example.org",
      "!a\u0000:example.org",
      "!\udc00:example.org",
      "!abc:not a server",
      padTo(256, "!", ":example.org"),
      V12_ROOM.slice(0, -1), // 42 characters
      `${V12_ROOM}A`, // 44
      `${V12_ROOM}=`, // padded
      V12_ROOM.replace("-", "+"), // the standard alphabet is not the room ID alphabet
    ];
    for (const id of invalid) {
      assert.equal(isValidRoomId(id), false, JSON.stringify(id));
      assert.equal(isValidRoomId(id, v12), false, JSON.stringify(id));
    }
  });
});

describe("event IDs", () => {
  // The examples of rooms/v3.md and rooms/fragments/v4-event-ids.md.
  const V3_EXAMPLE = "$CD66HAED5npg6074c6pDtLKalHjVfYb2q4Q3LZgrW6o";
  const V4_EXAMPLE = "$Rqnc-F-dvnEYJTyHq_iKxU2bZ1CI92-kuZq3a5lr5Zg";
  const V3_ONLY = "$acR1l0raoZnm60CBwAVgqbZqoO/mYU81xysh1u7XcJk";

  it("accepts each room version's format and only it", () => {
    const cases: [string, boolean, boolean, boolean][] = [
      // id, v1, v3, v4
      ["$abc:example.org", true, false, false],
      ["$:example.org", true, false, false],
      ["$1234567890abcdef:[::1]:8448", true, false, false],
      [V3_EXAMPLE, false, true, true], // only letters and digits: both alphabets
      [V4_EXAMPLE, false, false, true],
      [V3_ONLY, false, true, false],
      [V4_EXAMPLE.slice(0, -1), false, false, false],
      [`${V4_EXAMPLE}g`, false, false, false],
      [`${V3_EXAMPLE}=`, false, false, false],
      ["$abc", false, false, false],
      ["abc:example.org", false, false, false],
      ["$a\u0000:example.org", false, false, false],
      [padTo(255, "$", ":example.org"), true, false, false],
      [padTo(256, "$", ":example.org"), false, false, false],
    ];
    for (const [id, v1, v3, v4] of cases) {
      assert.equal(isValidEventId(id, "v1"), v1, `${id} v1`);
      assert.equal(isValidEventId(id, "v3"), v3, `${id} v3`);
      assert.equal(isValidEventId(id, "v4"), v4, `${id} v4`);
      assert.equal(isValidEventId(id), v1 || v3 || v4, `${id} any`);
    }
    assert.equal(isValidEventId(V4_EXAMPLE, getRoomVersion("12").eventIdFormat), true);
    assert.equal(isValidEventId(V4_EXAMPLE, getRoomVersion("3").eventIdFormat), false);
  });

  it("splits the server form only", () => {
    assert.deepEqual(parseEventId("$abc:example.org"), { opaque: "abc", serverName: "example.org" });
    assert.deepEqual(parseEventId(V4_EXAMPLE), { opaque: V4_EXAMPLE.slice(1) });
  });
});

describe("room aliases", () => {
  it("accepts any localpart but colon and NUL, within 255 bytes", () => {
    assert.deepEqual(parseRoomAlias("#room:example.org"), { alias: "room", serverName: "example.org" });
    assert.deepEqual(parseRoomAlias("#日本 room!:example.org:8448"), { alias: "日本 room!", serverName: "example.org:8448" });
    const longest = `#${"日".repeat(81)}:example.org`; // 1 + 243 + 12 = 256
    assert.equal(isValidRoomAlias(longest), false);
    assert.ok(isValidRoomAlias(`#${"日".repeat(80)}ab:example.org`)); // 1 + 240 + 2 + 12 = 255
    for (const bad of ["#room", "#room:", "room:example.org", "#ro\u0000om:example.org", "#\ud800:example.org", "#room:bad server"]) {
      assert.equal(isValidRoomAlias(bad), false, JSON.stringify(bad));
    }
  });
});

describe("serverNameOf", () => {
  it("gives the server part where there is one", () => {
    const cases: [string, string | null][] = [
      ["@alice:example.org", "example.org"],
      ["@ALICE:example.org:8448", "example.org:8448"],
      ["#room:[::1]:80", "[::1]:80"],
      ["!abc:1.2.3.4", "1.2.3.4"],
      ["$abc:matrix.org", "matrix.org"],
      ["!Nhcu5BS-UMnFX7hBVfVSoXiD7OgH6iRT-xyIuqDnpYQ", null],
      ["$Rqnc-F-dvnEYJTyHq_iKxU2bZ1CI92-kuZq3a5lr5Zg", null],
      ["@alice:bad_server", null],
      ["@a\u0000:example.org", null],
      ["alice:example.org", null],
      ["+alice:example.org", null],
      ["", null],
    ];
    for (const [id, server] of cases) assert.equal(serverNameOf(id), server, JSON.stringify(id));
  });
});

describe("opaque identifiers", () => {
  it("follows the Opaque Identifier Grammar", () => {
    assert.ok(isValidOpaqueId("abc-._~XYZ09"));
    assert.ok(isValidOpaqueId("a".repeat(255)));
    for (const bad of ["", "a".repeat(256), "a b", "a/b", "a+b", "a=b", "a:b", "é", "a%20"]) {
      assert.equal(isValidOpaqueId(bad), false, bad);
    }
    assert.ok(isValidOpaqueId("a".repeat(64), 64)); // registration tokens: at most 64
    assert.equal(isValidOpaqueId("a".repeat(65), 64), false);
  });

  it("accepts client device IDs of many shapes, but not controls, the wildcard or over 255 bytes", () => {
    for (const ok of ["ABCDEFGHIJ", "my device", "device/1:2", "日本", "a".repeat(255), padTo(255, "", "日")]) {
      assert.ok(isAcceptableDeviceId(ok), ok);
    }
    for (const bad of ["", "*", "a\nb", "a\u0000", "a\u007f", "a\u0085", "\ud800", "a".repeat(256), padTo(256, "", "日")]) {
      assert.equal(isAcceptableDeviceId(bad), false, JSON.stringify(bad));
    }
  });

  it("accepts transaction IDs the same way (the wildcard is fine there)", () => {
    for (const ok of ["m1700000000000.1", "3fa85f64-5717-4562-b3fc-2c963f66afa6", "*", "a".repeat(255)]) {
      assert.ok(isAcceptableTransactionId(ok), ok);
    }
    for (const bad of ["", "a\tb", "\udfff", "a".repeat(256), padTo(256, "", "é")]) {
      assert.equal(isAcceptableTransactionId(bad), false, JSON.stringify(bad));
    }
  });
});
