import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { canonicalJson } from "../../src/protocol/canonical-json.js";
import type { JsonValue } from "../../src/protocol/json.js";
import {
  DEFAULT_MAX_DEPTH,
  findInvalidUtf8,
  JsonParseError,
  MAX_LENIENT_INTEGER_DIGITS,
  parseStrictJson,
  type JsonParseErrorKind,
  type StrictJsonOptions,
} from "../../src/protocol/strict-json.js";
import { buildJson } from "../../src/protocol/strict-json-build.js";
import { checkParsedText, memberCount, TEXT_PLAIN, TEXT_REFUSED } from "../../src/protocol/strict-json-fast.js";
import { scanJson, type ScanResult } from "../../src/protocol/strict-json-scan.js";

/** Asserts that parsing fails with a JsonParseError of the given kind (and position, when given). */
function rejects(
  input: string | Uint8Array,
  kind: JsonParseErrorKind,
  options: StrictJsonOptions = {},
  position?: number,
): JsonParseError {
  let caught: unknown;
  try {
    parseStrictJson(input, options);
  } catch (error) {
    caught = error;
  }
  const shown = typeof input === "string" ? JSON.stringify(input).slice(0, 80) : Buffer.from(input).toString("hex");
  assert.ok(caught instanceof JsonParseError, `expected a JsonParseError for ${shown}, got ${String(caught)}`);
  assert.equal(caught.kind, kind, `kind for ${shown}: ${caught.message}`);
  if (position !== undefined) assert.equal(caught.position, position, `position for ${shown}: ${caught.message}`);
  return caught;
}

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

describe("parseStrictJson: valid input", () => {
  it("parses what JSON.parse parses, from a string and from UTF-8 bytes", () => {
    const texts = [
      '{"type":"m.room.message","content":{"body":"hi ☕ 😀","msgtype":"m.text"},"depth":12}',
      ' [ true , false , null , "" , 0 , -1 , 9007199254740991 , -9007199254740991 , {} , [ ] ] ',
      '"\\b\\f\\n\\r\\t\\"\\\\\\/\\u00e9\\u65E5\\ud83d\\ude00"',
      '{"\\u0061b":{"\\n":[[[]]]},"ab2":"\u2028\u2029"}',
      "123",
      "\t\r\n null \n",
    ];
    for (const text of texts) {
      assert.deepEqual(parseStrictJson(text), JSON.parse(text), text);
      assert.deepEqual(parseStrictJson(Buffer.from(text, "utf8")), JSON.parse(text), text);
    }
  });

  it("reads back every canonical JSON example of the appendix", () => {
    // content/appendices.md, "Canonical JSON" -> "Examples" (outputs).
    const examples: [string, JsonValue][] = [
      ["{}", {}],
      ['{"one":1,"two":"Two"}', { one: 1, two: "Two" }],
      ['{"a":"1","b":"2"}', { a: "1", b: "2" }],
      ['{"a":"日本語"}', { a: "日本語" }],
      ['{"日":1,"本":2}', { 日: 1, 本: 2 }],
      ['{"a":"日"}', { a: "\u65E5" }],
      ['{"a":null}', { a: null }],
      ['{"a":0,"b":10000000000}', { a: 0, b: 1e10 }],
    ];
    for (const [text, value] of examples) assert.deepEqual(parseStrictJson(Buffer.from(text)), value);
  });

  it("accepts the limits of the strict integer range", () => {
    assert.equal(parseStrictJson("9007199254740991"), Number.MAX_SAFE_INTEGER);
    assert.equal(parseStrictJson("-9007199254740991"), -Number.MAX_SAFE_INTEGER);
    assert.equal(parseStrictJson("1000000000000000"), 1e15);
  });

  it("reads -0 as 0 in both modes (Object.is, not ==)", () => {
    assert.ok(Object.is(parseStrictJson("-0"), 0));
    assert.ok(Object.is((parseStrictJson('{"a":[-0]}') as { a: number[] }).a[0], 0));
    assert.ok(Object.is(parseStrictJson("-0", { mode: "lenient" }), 0));
    // A float -0.0 is a float: only lenient mode takes it, and as the float it is.
    assert.ok(Object.is(parseStrictJson("-0.0", { mode: "lenient" }), -0));
  });
});

describe("parseStrictJson: numbers", () => {
  it("refuses floats, exponents and out-of-range integers in strict mode (kind value)", () => {
    for (const text of ["1.5", "1.0", "-0.0", "1e2", "1E2", "1e-2", "0e0", "9007199254740992", "-9007199254740992", "12345678901234567", "1" + "0".repeat(400)]) {
      rejects(text, "value", {}, 0);
      rejects(`{"depth":${text}}`, "value", {}, 9);
    }
  });

  it("keeps integers exact in lenient mode: number when safe, bigint beyond", () => {
    assert.equal(parseStrictJson("9007199254740991", { mode: "lenient" }), 9007199254740991);
    assert.equal(parseStrictJson("9007199254740992", { mode: "lenient" }), 9007199254740992n);
    assert.equal(parseStrictJson("-18446744073709551617", { mode: "lenient" }), -18446744073709551617n);
    const big = "9".repeat(MAX_LENIENT_INTEGER_DIGITS);
    assert.equal(parseStrictJson(big, { mode: "lenient" }), BigInt(big));
    assert.deepEqual(parseStrictJson('{"a":[1,99999999999999999999,{"__proto__":2}],"b":1.5}', { mode: "lenient" }), {
      a: [1, 99999999999999999999n, JSON.parse('{"__proto__":2}') as JsonValue],
      b: 1.5,
    });
  });

  it("keeps floats as numbers in lenient mode, but not ones that overflow", () => {
    assert.deepEqual(parseStrictJson("[1.5,-2.25e3,1e-400,1E+2]", { mode: "lenient" }), [1.5, -2250, 0, 100]);
    rejects("1e400", "value", { mode: "lenient" }, 0);
    rejects("[-1e400]", "value", { mode: "lenient" }, 1);
  });

  it("refuses integers longer than CPython reads, in lenient mode", () => {
    rejects("1".repeat(MAX_LENIENT_INTEGER_DIGITS + 1), "value", { mode: "lenient" }, 0);
    rejects("-" + "1".repeat(100_000), "value", { mode: "lenient" }, 0);
  });

  it("refuses what is not a JSON number at all (kind syntax)", () => {
    for (const text of ["01", "-01", "00", "1.", ".5", "+1", "-", "--1", "1e", "1e+", "0x10", "1_000", "NaN", "Infinity", "-Infinity", "[NaN]"]) {
      rejects(text, "syntax");
      rejects(text, "syntax", { mode: "lenient" });
    }
  });
});

describe("parseStrictJson: duplicate keys", () => {
  it("refuses a key given twice, at the second occurrence (kind value)", () => {
    rejects('{"a":1,"a":2}', "value", {}, 7);
    rejects('{"a":1,"b":2,"a":1}', "value", {}, 13);
    rejects('[{"x":{"k":1,"k":1}}]', "value", {}, 13);
    // The same key spelled with an escape is the same key.
    rejects('{"a":1,"\\u0061":2}', "value", {}, 7);
    rejects('{"😀":1,"\\ud83d\\ude00":2}', "value");
    // A duplicate whose first value is itself an object that had a duplicate: both get dropped by
    // JSON.parse, which must not hide the outer duplicate.
    rejects('{"a":{"b":1,"b":2},"a":3}', "value", {}, 12);
    rejects('{"a":{"b":1},"a":{"b":1}}', "value", {}, 13);
    // On the build path (bigint) as well.
    rejects('{"n":99999999999999999999,"n":1}', "value", { mode: "lenient" }, 26);
  });

  it("accepts keys that only look alike", () => {
    // Precomposed é and e + combining acute are different keys: no Unicode normalisation.
    assert.deepEqual(parseStrictJson('{"a":1,"A":2,"a ":3,"\u00e9":4,"e\u0301":5}'), { a: 1, A: 2, "a ": 3, "\u00e9": 4, "e\u0301": 5 });
    assert.deepEqual(parseStrictJson('[{"a":1},{"a":1}]'), [{ a: 1 }, { a: 1 }]);
    assert.deepEqual(parseStrictJson('{"a":{"a":{"a":1}}}'), { a: { a: { a: 1 } } });
  });

  it("keeps the last value when duplicates are allowed, on both paths", () => {
    assert.deepEqual(parseStrictJson('{"a":1,"b":2,"a":3}', { allowDuplicateKeys: true }), { a: 3, b: 2 });
    assert.deepEqual(parseStrictJson('{"a":1,"a":-0}', { allowDuplicateKeys: true }), { a: 0 });
    assert.deepEqual(parseStrictJson('{"a":99999999999999999999,"a":1}', { allowDuplicateKeys: true, mode: "lenient" }), { a: 1 });
  });
});

describe("parseStrictJson: prototype safety", () => {
  for (const [path, text] of [
    ["JSON.parse path", '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}'],
    ["build path", '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"z":-0}'],
  ] as const) {
    it(`makes "__proto__" an ordinary own property (${path})`, () => {
      const value = parseStrictJson(text) as Record<string, unknown>;
      assert.equal(Object.getPrototypeOf(value), Object.prototype);
      assert.deepEqual(Object.keys(value).slice(0, 2), ["__proto__", "constructor"]);
      assert.deepEqual(Object.getOwnPropertyDescriptor(value, "__proto__")?.value, { polluted: true });
      assert.equal((value as { polluted?: unknown }).polluted, undefined);
      assert.equal(({} as { polluted?: unknown }).polluted, undefined);
      assert.equal(canonicalJson(value as JsonValue).startsWith('{"__proto__":{"polluted":true}'), true);
    });
  }

  it("builds __proto__ keys in nested objects and arrays", () => {
    const value = parseStrictJson('[{"a":{"__proto__":[1]}},-0]') as [{ a: Record<string, unknown> }, number];
    assert.deepEqual(Object.getOwnPropertyDescriptor(value[0].a, "__proto__")?.value, [1]);
    assert.equal(Object.getPrototypeOf(value[0].a), Object.prototype);
  });
});

describe("parseStrictJson: nesting", () => {
  const nested = (depth: number, open = "[", close = "]"): string => open.repeat(depth) + close.repeat(depth);
  const nestedObjects = (depth: number): string => '{"a":'.repeat(depth - 1) + "{}" + "}".repeat(depth - 1);

  it(`accepts ${DEFAULT_MAX_DEPTH} levels by default and refuses one more (kind value)`, () => {
    assert.doesNotThrow(() => parseStrictJson(nested(DEFAULT_MAX_DEPTH)));
    assert.doesNotThrow(() => parseStrictJson(nestedObjects(DEFAULT_MAX_DEPTH)));
    rejects(nested(DEFAULT_MAX_DEPTH + 1), "value", {}, DEFAULT_MAX_DEPTH);
    rejects(nestedObjects(DEFAULT_MAX_DEPTH + 1), "value", {}, 5 * DEFAULT_MAX_DEPTH);
  });

  it("honours maxDepth", () => {
    assert.deepEqual(parseStrictJson("[[1]]", { maxDepth: 2 }), [[1]]);
    rejects("[[[1]]]", "value", { maxDepth: 2 }, 2);
    rejects("[]", "value", { maxDepth: 0 }, 0);
    assert.equal(parseStrictJson("1", { maxDepth: 0 }), 1);
  });

  it("survives hostile nesting without a stack overflow", () => {
    rejects(nested(500_000), "value");
    rejects('{"a":'.repeat(500_000) + "1" + "}".repeat(500_000), "value");
    // Not JSON at all (unterminated): a syntax error, found without a depth limit and without recursion.
    rejects("[".repeat(500_000), "syntax", {}, 500_000);
    // A huge allowed depth goes through JSON.parse and our builder without recursion.
    const deep = parseStrictJson("[".repeat(100_000) + "-0" + "]".repeat(100_000), { maxDepth: 1e9 });
    let item = deep;
    for (let k = 0; k < 100_000; k++) item = (item as JsonValue[])[0] as JsonValue;
    assert.ok(Object.is(item, 0));
  });
});

describe("parseStrictJson: encoding", () => {
  it("refuses invalid UTF-8 bytes (kind syntax, position in bytes)", () => {
    const cases: [string, Uint8Array, number][] = [
      ["lone continuation byte", bytes(0x22, 0x80, 0x22), 1],
      ["overlong two-byte NUL", bytes(0x22, 0xc0, 0x80, 0x22), 1],
      ["overlong two-byte 'A'", bytes(0x22, 0xc1, 0x81, 0x22), 1],
      ["overlong three-byte", bytes(0x22, 0xe0, 0x80, 0xaf, 0x22), 1],
      ["overlong four-byte", bytes(0x22, 0xf0, 0x80, 0x80, 0xaf, 0x22), 1],
      ["UTF-8 encoded surrogate", bytes(0x22, 0xed, 0xa0, 0x80, 0x22), 1],
      ["above U+10FFFF", bytes(0x22, 0xf4, 0x90, 0x80, 0x80, 0x22), 1],
      ["F5 lead byte", bytes(0x22, 0xf5, 0x80, 0x80, 0x80, 0x22), 1],
      ["FF byte", bytes(0x5b, 0x31, 0x2c, 0xff, 0x5d), 3],
      ["truncated three-byte sequence", bytes(0x22, 0x61, 0xe2, 0x82, 0x22), 2],
      ["truncated at the end", bytes(0x22, 0xe2, 0x82), 1],
      ["Latin-1 é", bytes(0x22, 0xe9, 0x22), 1],
    ];
    for (const [name, input, position] of cases) {
      const error = rejects(input, "syntax", {}, position);
      assert.match(error.message, /UTF-8/, name);
    }
  });

  it("refuses a byte order mark, as bytes and as a string", () => {
    rejects(bytes(0xef, 0xbb, 0xbf, 0x7b, 0x7d), "syntax", {}, 0);
    rejects("\uFEFF{}", "syntax", {}, 0);
    rejects("{}\uFEFF", "syntax", {}, 2);
  });

  it("refuses lone surrogates, escaped or raw, in values and in keys (kind syntax)", () => {
    const escaped: [string, number][] = [
      ['"\\ud800"', 1],
      ['"\\uDBFF"', 1],
      ['"\\udc00"', 1],
      ['"a\\ud800b"', 2],
      ['"\\ud800\\u0041"', 1],
      ['"\\ud800\\ud800"', 1],
      ['"\\udc00\\ud800"', 1],
      ['"\\ud83d"', 1],
      ['"\\ud83d\\n"', 1],
      ['"\\\\\\ud800"', 3],
      ['{"\\udfff":1}', 2],
      ['{"ok":1,"k\\ud800":1}', 10],
    ];
    for (const [text, position] of escaped) {
      rejects(text, "syntax", {}, position);
      rejects(Buffer.from(text), "syntax", {}, position);
    }
    rejects('"\ud800"', "syntax", {}, 1);
    rejects('{"\udc00":1}', "syntax", {}, 2);
    rejects('["😀","\ud83d"]', "syntax", {}, 7);
    // An escaped high surrogate with a raw low one is not well-formed input either.
    rejects('"\\ud83d\ude00"', "syntax");
  });

  it("accepts an escaped backslash before u, which is not an escape of a surrogate", () => {
    assert.equal(parseStrictJson('"\\\\ud800"'), "\\ud800");
  });

  it("counts error positions in bytes for byte input", () => {
    rejects(Buffer.from('{"é":1.5}'), "value", {}, 6);
    rejects(Buffer.from('{"😀":1,"😀":2}'), "value", {}, 10);
    rejects('{"😀":1,"😀":2}', "value", {}, 8); // UTF-16 offset for a string
  });

  it("finds the invalid byte exactly where TextDecoder fails", () => {
    const decoder = new TextDecoder("utf-8", { fatal: true });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 24 }), (input) => {
        let valid = true;
        try {
          decoder.decode(input);
        } catch {
          valid = false;
        }
        const at = findInvalidUtf8(input);
        assert.equal(at === -1, valid);
        if (!valid) assert.doesNotThrow(() => decoder.decode(input.subarray(0, at)));
      }),
      { numRuns: 3000 },
    );
  });
});

describe("parseStrictJson: malformed input", () => {
  const SYNTAX_CASES = [
    "",
    " ",
    "{",
    "[",
    "}",
    '{"a"',
    '{"a":',
    '{"a":1',
    '{"a":1,',
    '{"a":1,}',
    "[1,]",
    "[,1]",
    "[1 2]",
    '{"a" 1}',
    '{"a":1 "b":2}',
    "{a:1}",
    "{'a':1}",
    "{1:1}",
    '{"a":1}}',
    "[1]]",
    '"abc',
    '"abc\\"',
    '"\\x41"',
    '"\\u12G4"',
    '"\\u12"',
    '"\\',
    '"tab\there"',
    '"nl\nhere"',
    '"nul\u0000"',
    "tru",
    "True",
    "nul",
    "nulll",
    "undefined",
    "[1]x",
    "1 2",
    '{"a":1} // comment',
    "/* c */ 1",
    "\u00a01",
    "1\u00a0",
    "\u000b1",
  ];

  it("refuses each with kind syntax", () => {
    for (const text of SYNTAX_CASES) {
      rejects(text, "syntax");
      rejects(Buffer.from(text), "syntax");
      rejects(text, "syntax", { mode: "lenient", allowDuplicateKeys: true });
    }
  });

  it("refuses every truncation of a PDU", () => {
    const pdu = '{"auth_events":["$a"],"content":{"body":"日本 \\"q\\" \\ud83d\\ude00","n":[1,-2,{}]},"depth":10,"ok":true,"no":null}';
    assert.ok(parseStrictJson(pdu));
    for (let end = 0; end < pdu.length; end++) rejects(pdu.slice(0, end), "syntax");
    const encoded = Buffer.from(pdu);
    for (let end = 0; end < encoded.length; end++) rejects(encoded.subarray(0, end), "syntax");
  });

  it("never crashes on random mutations, and agrees with the validating scanner", () => {
    const seeds = ['{"a":[1,2,{"b":"c\\u00e9"}],"d":-0,"e":1.5,"f":"\\ud83d\\ude00"}', '[9007199254740993,{"x":1,"y":[true,false,null]}]'];
    const alphabet = ['"', "\\", "{", "}", "[", "]", ":", ",", "-", "0", "1", "9", ".", "e", "u", "d", "8", "0", " ", "\ud800", "a", "n"];
    const mutated = fc.tuple(
      fc.constantFrom(...seeds),
      fc.array(fc.tuple(fc.nat(), fc.nat({ max: 2 }), fc.constantFrom(...alphabet)), { minLength: 1, maxLength: 4 }),
    ).map(([seed, edits]) => {
      let text = seed;
      for (const [at, op, ch] of edits) {
        const i = at % (text.length + 1);
        if (op === 0) text = text.slice(0, i) + ch + text.slice(i);
        else if (op === 1) text = text.slice(0, i) + text.slice(i + 1);
        else text = text.slice(0, i) + ch + text.slice(i + 1);
      }
      return text;
    });
    fc.assert(
      fc.property(mutated, fc.constantFrom<"strict" | "lenient">("strict", "lenient"), (text, mode) => {
        let result: { value: JsonValue } | JsonParseError;
        try {
          result = { value: parseStrictJson(text, { mode }) };
        } catch (error) {
          assert.ok(error instanceof JsonParseError, String(error));
          result = error;
        }
        let scanned: JsonParseError | undefined;
        let scan: ScanResult | undefined;
        try {
          if (text.isWellFormed()) {
            scanJson(text, null);
            scan = scanJson(text, { lenient: mode === "lenient", maxDepth: DEFAULT_MAX_DEPTH, findDuplicates: true });
          }
        } catch (error) {
          scanned = error as JsonParseError;
        }
        let nativeOk = true;
        try {
          JSON.parse(text);
        } catch {
          nativeOk = false;
        }
        if (result instanceof JsonParseError) {
          if (!nativeOk) assert.equal(result.kind, "syntax", result.message);
          if (text.isWellFormed()) {
            assert.ok(scanned, `scanner accepted what the parser refused: ${text}`);
            assert.deepEqual([scanned.kind, scanned.position, scanned.detail], [result.kind, result.position, result.detail]);
          }
        } else {
          assert.equal(scanned, undefined, `scanner refused what the parser accepted: ${text}`);
          assert.ok(nativeOk);
          // Both passes see the same members and the same need for our own builder.
          const status = checkParsedText(text, mode === "lenient", DEFAULT_MAX_DEPTH);
          assert.notEqual(status, TEXT_REFUSED);
          assert.deepEqual({ plain: status === TEXT_PLAIN, members: memberCount }, scan);
          if (mode === "strict" && !/-0(?![.\d])/.test(text)) {
            assert.deepEqual(result.value, JSON.parse(text, (_k, v: unknown) => v), text);
          }
        }
      }),
      { numRuns: 5000 },
    );
  });
});

// Values canonical JSON can carry: safe integers, any well-formed strings, nested arrays and objects.
const key = fc.oneof(fc.string({ unit: "binary", maxLength: 6 }), fc.constantFrom("__proto__", "constructor", "0", "10", "a"));
const leaf = (lenient: boolean): fc.Arbitrary<JsonValue> =>
  fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.maxSafeInteger().map((n) => (Object.is(n, -0) ? 0 : n)),
    fc.string({ unit: "binary", maxLength: 12 }),
    lenient ? fc.bigInt().filter((n) => n > 2n ** 53n - 1n || n < 1n - 2n ** 53n) : fc.constant(0),
  );
const jsonValue = (lenient: boolean): fc.Arbitrary<JsonValue> =>
  fc.letrec<{ value: JsonValue }>((tie) => ({
    value: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      leaf(lenient),
      fc.array(tie("value"), { maxLength: 5 }),
      fc.dictionary(key, tie("value"), { maxKeys: 5, noNullPrototype: true }),
    ),
  })).value;

describe("parseStrictJson: properties", () => {
  it("reads back canonical JSON: parse(canonicalJson(v)) deep-equals v", () => {
    fc.assert(
      fc.property(jsonValue(false), (value) => {
        assert.deepEqual(parseStrictJson(canonicalJson(value)), value);
        assert.deepEqual(parseStrictJson(Buffer.from(canonicalJson(value))), value);
      }),
      { numRuns: 1000 },
    );
  });

  it("reads back lenient canonical JSON with big integers exactly", () => {
    fc.assert(
      fc.property(jsonValue(true), (value) => {
        assert.deepEqual(parseStrictJson(canonicalJson(value, { lenient: true }), { mode: "lenient" }), value);
      }),
      { numRuns: 1000 },
    );
  });

  it("agrees with JSON.parse on valid safe input, however it is spaced or escaped", () => {
    const escapeSome = (text: string, mask: number): string =>
      // Write some non-ASCII characters as \u escapes (surrogate pairs as two escapes), as other encoders do.
      text.replace(/[\u0080-\u{10ffff}]/gu, (ch) =>
        ch.charCodeAt(0) & mask ? [...Array(ch.length).keys()].map((k) => `\\u${ch.charCodeAt(k).toString(16).padStart(4, "0")}`).join("") : ch,
      );
    fc.assert(
      fc.property(jsonValue(false), fc.constantFrom(undefined, 0, 1, "\t", " \r\n"), fc.nat(), (value, space, mask) => {
        const text = escapeSome(JSON.stringify(value, null, space), mask);
        assert.deepEqual(parseStrictJson(text), JSON.parse(text));
        // The builder (bigint path) makes the same values as JSON.parse.
        assert.deepEqual(buildJson(text), JSON.parse(text));
      }),
      { numRuns: 1000 },
    );
  });
});
