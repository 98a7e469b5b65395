import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { canonicalJson, compareCodePoints, CanonicalJsonError } from "../../src/protocol/canonical-json.js";
import type { JsonValue } from "../../src/protocol/json.js";

// The examples of content/appendices.md, "Canonical JSON" -> "Examples".
const APPENDIX_VECTORS: [JsonValue, string][] = [
  [{}, "{}"],
  [{ one: 1, two: "Two" }, '{"one":1,"two":"Two"}'],
  [{ b: "2", a: "1" }, '{"a":"1","b":"2"}'],
  [
    {
      auth: {
        success: true,
        mxid: "@john.doe:example.com",
        profile: {
          display_name: "John Doe",
          three_pids: [
            { medium: "email", address: "john.doe@example.org" },
            { medium: "msisdn", address: "123456789" },
          ],
        },
      },
    },
    '{"auth":{"mxid":"@john.doe:example.com","profile":{"display_name":"John Doe","three_pids":[{"address":"john.doe@example.org","medium":"email"},{"address":"123456789","medium":"msisdn"}]},"success":true}}',
  ],
  [{ a: "日本語" }, '{"a":"日本語"}'],
  [{ 本: 2, 日: 1 }, '{"日":1,"本":2}'],
  [{ a: "\u65E5" }, '{"a":"日"}'],
  [{ a: null }, '{"a":null}'],
  [{ a: -0, b: 1e10 }, '{"a":0,"b":10000000000}'],
];

describe("canonical JSON", () => {
  it("encodes every appendix example", () => {
    for (const [input, expected] of APPENDIX_VECTORS) assert.equal(canonicalJson(input), expected);
  });

  it("uses the shortest escapes of the grammar", () => {
    assert.equal(canonicalJson("\b\t\n\f\r\"\\"), '"\\b\\t\\n\\f\\r\\"\\\\"');
    assert.equal(canonicalJson("\u0000\u0007\u000b\u000e\u001f"), '"\\u0000\\u0007\\u000b\\u000e\\u001f"');
    assert.equal(canonicalJson("/\u007f\u2028é😀"), '"/\u007f\u2028é😀"');
  });

  it("sorts keys by code point, not UTF-16 unit", () => {
    // U+1F600 (surrogates D83D DE00) sorts after U+FB01 by code point, before it by UTF-16 unit.
    assert.equal(canonicalJson({ "\u{1F600}": 1, "\uFB01": 2 }), '{"\uFB01":2,"\u{1F600}":1}');
    assert.ok(compareCodePoints("\uFB01", "\u{1F600}") < 0);
  });

  it("refuses what canonical JSON cannot carry", () => {
    for (const bad of [1.5, NaN, Infinity, 2 ** 53, -(2 ** 53), 2n ** 60n, "\uD800"] as JsonValue[]) {
      assert.throws(() => canonicalJson(bad), CanonicalJsonError);
    }
  });

  it("keeps big integers exact in lenient mode (room versions 1-5)", () => {
    assert.equal(canonicalJson({ n: 2n ** 64n + 1n }, { lenient: true }), '{"n":18446744073709551617}');
  });

  it("is stable under key reordering and round-trips through JSON.parse", () => {
    const safeJson = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: "small" },
        fc.constant(null),
        fc.boolean(),
        fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }),
        fc.string({ unit: "binary" }),
        fc.array(tie("value"), { maxLength: 4 }),
        fc.dictionary(fc.string({ unit: "binary" }), tie("value"), { maxKeys: 4 }),
      ),
    })).value as fc.Arbitrary<JsonValue>;
    const shuffleKeys = (v: JsonValue): JsonValue => {
      if (Array.isArray(v)) return v.map(shuffleKeys);
      if (v && typeof v === "object") {
        const entries = Object.entries(v).reverse();
        return Object.fromEntries(entries.map(([k, x]) => [k, shuffleKeys(x)]));
      }
      return v;
    };
    fc.assert(
      fc.property(safeJson, (value) => {
        const text = canonicalJson(value);
        assert.equal(canonicalJson(shuffleKeys(value)), text);
        assert.equal(canonicalJson(JSON.parse(text) as JsonValue), text);
      }),
    );
  });
});
