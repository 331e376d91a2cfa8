import { describe, expect, it } from "vitest";
import { applyCompletion, complete, fieldsOf } from "../../src/complete";
import { http } from "./entries";

const fields = fieldsOf([
  http("GET", "/a", 200, { request: { method: "GET", path: "/a", headers: { "user-agent": "curl", host: "h" } } }),
]);

describe("fieldsOf", () => {
  it("has the common fields and the entries' own, with non-identifiers in brackets", () => {
    expect(fields).toContain("src.namespace");
    expect(fields).toContain("request.method");
    expect(fields).toContain('request.headers["user-agent"]');
    expect(fields).toContain("response.status");
  });
});

describe("complete", () => {
  it("completes the next segment of a path", () => {
    const c = complete("http and req", 12, fields);
    expect(c.from).toBe(9);
    expect(c.options[0]).toBe("request");
  });
  it("completes inside a path, at the cursor", () => {
    const text = "request.he == 1";
    const c = complete(text, 10, fields);
    expect(c.options).toContain("request.headers");
    expect(applyCompletion(text, c, "request.headers")).toEqual({ text: "request.headers == 1", cursor: 15 });
  });
  it("offers bracketed header names", () => {
    const c = complete("request.headers[", 16, fields);
    expect(c.options).toContain('request.headers["user-agent"]');
  });
  it("offers methods after a field", () => {
    const c = complete("request.path.st", 15, fields);
    expect(c.options).toEqual(['request.path.startsWith("']);
  });
  it("offers macros, keywords and functions", () => {
    expect(complete("dn", 2, fields).options).toContain("dns");
    expect(complete("http an", 7, fields).options).toContain("and");
    expect(complete("timestamp > now() - min", 23, fields).options).toContain("minutes(");
  });
  it("offers nothing inside a string or for an empty word", () => {
    expect(complete('request.path == "req', 20, fields).options).toEqual([]);
    expect(complete("http and ", 9, fields).options).toEqual([]);
  });
  it("replaces the whole word when the cursor is inside it", () => {
    const c = complete("redis or dns", 3, fields);
    expect(c.from).toBe(0);
    expect(c.to).toBe(5);
    expect(c.options).toContain("redis");
  });
});
