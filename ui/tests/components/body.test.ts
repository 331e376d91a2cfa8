import { describe, expect, it } from "vitest";
import { bodyView, cookies, formatXml, hexDump, queryPairs } from "../../src/body";

describe("bodyView", () => {
  it("pretty-prints JSON by content type", () => {
    const v = bodyView({ headers: { "content-type": "application/json; charset=utf-8" }, body: '{"a":[1,2],"b":"x"}', bodySize: 19 });
    expect(v?.kind).toBe("json");
    expect(v?.text).toBe('{\n  "a": [\n    1,\n    2\n  ],\n  "b": "x"\n}');
    expect(v?.size).toBe(19);
  });
  it("shows broken JSON as text", () => {
    const v = bodyView({ headers: { "content-type": "application/json" }, body: '{"a":', bodyTruncated: true });
    expect(v?.kind).toBe("text");
    expect(v?.text).toBe('{"a":');
    expect(v?.truncated).toBe(true);
  });
  it("splits a form into decoded fields", () => {
    const v = bodyView({ headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: "user=ann+lee&tag=a%26b&tag=c" });
    expect(v?.kind).toBe("form");
    expect(v?.pairs).toEqual([["user", "ann lee"], ["tag", "a&b"], ["tag", "c"]]);
  });
  it("indents XML", () => {
    const v = bodyView({ headers: { "content-type": "application/xml" }, body: '<?xml version="1.0"?><a><b id="1">x</b><c/></a>' });
    expect(v?.kind).toBe("xml");
    expect(v?.text).toBe('<?xml version="1.0"?>\n<a>\n  <b id="1">x</b>\n  <c/>\n</a>');
  });
  it("dumps binary bodies as hex", () => {
    const v = bodyView({ bodyBase64: btoa("\x00\x01AB\xff"), bodySize: 5 });
    expect(v?.kind).toBe("hex");
    expect(v?.text).toBe("00000000: 0001 4142 ff".padEnd(51) + "..AB."); // the text at column 51, as xxd
  });
  it("shows decoded protobuf messages", () => {
    const v = bodyView({ headers: { "content-type": "application/grpc" }, messages: [{ "1": "hello" }] });
    expect(v?.kind).toBe("protobuf");
    expect(JSON.parse(v!.text)).toEqual([{ "1": "hello" }]);
  });
  it("has nothing to show without a body", () => {
    expect(bodyView({ bodySize: 0 })).toBeNull();
  });
});

describe("hexDump", () => {
  it("writes 16 bytes a line as xxd does, and says what was left out", () => {
    const bytes = new Uint8Array(40).map((_, i) => 0x41 + (i % 26));
    const lines = hexDump(bytes, 32).split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[1]).toBe("00000010: 5152 5354 5556 5758 595a 4142 4344 4546  QRSTUVWXYZABCDEF");
    expect(lines[2]).toBe("… 8 more bytes");
  });
});

describe("formatXml", () => {
  it("keeps void HTML elements from indenting", () => {
    expect(formatXml("<p>a<br>b</p>")).toBe("<p>\n  a\n  <br>\n  b\n</p>");
  });
});

describe("cookies and query string", () => {
  it("reads request cookies", () => {
    expect(cookies({ headers: { cookie: "a=1; b=x=y; flag" } }, "request")).toEqual([["a", "1"], ["b", "x=y"], ["flag", ""]]);
  });
  it("splits joined Set-Cookie headers, not their Expires dates", () => {
    const set = "id=7; Expires=Wed, 21 Oct 2026 07:28:00 GMT; HttpOnly, theme=dark; Path=/";
    expect(cookies({ headers: { "set-cookie": set } }, "response")).toEqual([
      ["id", "7 (Expires=Wed, 21 Oct 2026 07:28:00 GMT; HttpOnly)"],
      ["theme", "dark (Path=/)"],
    ]);
  });
  it("lists repeated query parameters once each", () => {
    expect(queryPairs({ queryString: { x: ["1", "3"], y: "2" } })).toEqual([["x", "1"], ["x", "3"], ["y", "2"]]);
  });
});
