import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  bareHost,
  DEFAULT_FEDERATION_PORT,
  formatServerName,
  isIpLiteral,
  parseServerName,
  parseWellKnownServer,
} from "../../src/protocol/server-name.js";

describe("server names for discovery", () => {
  it("splits server names into what discovery connects to", () => {
    // [server name, kind, bare host, port, host[:port] form]
    const table: [string, "dns" | "ipv4" | "ipv6", string, number | undefined, string][] = [
      ["example.org", "dns", "example.org", undefined, "example.org"],
      ["example.org:8448", "dns", "example.org", 8448, "example.org:8448"],
      ["Matrix.Example.ORG:1", "dns", "Matrix.Example.ORG", 1, "Matrix.Example.ORG:1"],
      ["localhost", "dns", "localhost", undefined, "localhost"],
      ["1.2.3.4", "ipv4", "1.2.3.4", undefined, "1.2.3.4"],
      ["1.2.3.4:1234", "ipv4", "1.2.3.4", 1234, "1.2.3.4:1234"],
      ["[::1]", "ipv6", "::1", undefined, "[::1]"],
      ["[2001:db8::1]:8449", "ipv6", "2001:db8::1", 8449, "[2001:db8::1]:8449"],
      ["[::ffff:1.2.3.4]:65535", "ipv6", "::ffff:1.2.3.4", 65535, "[::ffff:1.2.3.4]:65535"],
      ["[1234:5678::abcd]", "ipv6", "1234:5678::abcd", undefined, "[1234:5678::abcd]"],
    ];
    for (const [text, kind, host, port, formatted] of table) {
      const name = parseServerName(text);
      assert.ok(name !== null, text);
      assert.equal(name.kind, kind, text);
      assert.equal(isIpLiteral(name), kind !== "dns", text);
      assert.equal(bareHost(name), host, text);
      assert.equal(name.port, port, text);
      assert.equal(formatServerName(name), formatted, text);
    }
  });

  it("refuses what is not a server name", () => {
    const invalid = [
      "",
      "example.org:",
      "example.org:0",
      "example.org:65536",
      "example.org:80:80",
      "example.org:+80",
      "https://example.org",
      "example.org/",
      "exa mple.org",
      "example.org.",
      "::1",
      "[::1",
      "[::1]:",
      "[::1]x",
      "[example.org]",
      "1.2.3.256",
      "1.2.3.4:99999",
    ];
    for (const text of invalid) assert.equal(parseServerName(text), null, JSON.stringify(text));
  });

  it("uses 8448 as the federation port", () => {
    assert.equal(DEFAULT_FEDERATION_PORT, 8448);
  });
});

describe("/.well-known/matrix/server bodies", () => {
  it("reads the delegated server name", () => {
    const table: [string, string, number | undefined][] = [
      ['{"m.server": "delegated.example.com:1234"}', "delegated.example.com", 1234],
      ['{"m.server": "delegated.example.com"}', "delegated.example.com", undefined],
      ['{"m.server": "1.2.3.4"}', "1.2.3.4", undefined],
      ['{"m.server": "[::1]:8448"}', "[::1]", 8448],
      // Other keys do not matter, whatever their numbers.
      ['{"m.server": "a.example", "other": 1.5, "big": 123456789012345678901234567890}', "a.example", undefined],
      [' \n{"m.server":"a.example"}\n ', "a.example", undefined],
    ];
    for (const [body, host, port] of table) {
      for (const input of [body, new TextEncoder().encode(body)]) {
        const name = parseWellKnownServer(input);
        assert.ok(name !== null, body);
        assert.equal(name.host, host, body);
        assert.equal(name.port, port, body);
      }
    }
  });

  it("treats anything else as invalid", () => {
    const invalid: (string | Uint8Array)[] = [
      "",
      "not json",
      "<html>moved</html>",
      "[]",
      '"a.example"',
      "null",
      "{}",
      '{"m.server": 1}',
      '{"m.server": null}',
      '{"m.server": ["a.example"]}',
      '{"m.server": ""}',
      '{"m.server": "https://a.example"}',
      '{"m.server": "a.example:0"}',
      '{"m.server": "a.example/path"}',
      '{"m.server": " a.example"}',
      '{"m.server": "a.example", "m.server": "b.example"}',
      '{"m.server": "a.example"',
      '\u{FEFF}{"m.server": "a.example"}',
      // Valid m.server, but a byte that is not UTF-8 elsewhere: not JSON text at all.
      Buffer.concat([Buffer.from('{"m.server": "a.example", "x": "'), Buffer.from([0xff]), Buffer.from('"}')]),
    ];
    for (const body of invalid) assert.equal(parseWellKnownServer(body), null, String(body));
  });
});
