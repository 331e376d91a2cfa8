import { describe, expect, it } from "vitest";
import { endpointLabel, hostLabel, learnNames, namespaceLabel } from "../../src/names";
import { timeSeries } from "../../src/series";
import { dnsAnswer, entry, http, TCP } from "./entries";

describe("names", () => {
  it("learns addresses from DNS answers, the newest answer winning", () => {
    // Rows are newest first, as the stream holds them.
    const book = learnNames([dnsAnswer("new.example", "10.0.0.1"), dnsAnswer("old.example", "10.0.0.1"), dnsAnswer("b.example", "10.0.0.9")]);
    expect(book.get("10.0.0.1")).toBe("new.example");
    expect(book.get("10.0.0.9")).toBe("b.example");
  });
  it("prefers the worker's name, then DNS, then the address", () => {
    const book = new Map([["10.0.0.1", "web.example"]]);
    expect(endpointLabel({ ip: "10.0.0.1", port: 80, name: "web-0", namespace: "shop" }, book)).toBe("shop/web-0:80");
    expect(endpointLabel({ ip: "10.0.0.1", port: 80 }, book)).toBe("web.example:80");
    expect(endpointLabel({ ip: "fd00::1", port: 443 }, book)).toBe("[fd00::1]:443");
    expect(endpointLabel({ ip: "10.0.0.7", port: 0 }, book)).toBe("10.0.0.7");
    expect(hostLabel({ ip: "10.0.0.1", port: 80 }, book)).toBe("web.example");
    expect(namespaceLabel({ ip: "10.0.0.1", port: 80, namespace: "shop" }, book)).toBe("ns/shop");
    expect(namespaceLabel({ ip: "10.0.0.1", port: 80 }, book)).toBe("host web.example");
  });
});

describe("timeSeries", () => {
  const t0 = Date.UTC(2026, 10, 27, 12, 0, 0);
  it("buckets calls by the narrowest width that fits, keeping empty buckets", () => {
    const rows = [
      http("GET", "/a", 200, { timestamp: t0, elapsedTime: 1 }),
      http("GET", "/b", 500, { timestamp: t0 + 200, elapsedTime: 3 }),
      http("GET", "/c", 200, { timestamp: t0 + 30_000, elapsedTime: 5 }),
      entry({ protocol: TCP, request: { packets: 3 }, timestamp: t0 + 1000 }), // a flow, not a call
    ];
    const s = timeSeries(rows);
    expect(s.width).toBe(1000);
    expect(s.buckets.map((b) => b.calls)).toEqual([2, ...Array(29).fill(0), 1]);
    expect(s.buckets.map((b) => b.errors)).toEqual([1, ...Array(30).fill(0)]);
    expect(s.buckets[0].latency.HTTP).toEqual({ p50: 3, p95: 3 });
    expect(s.buckets[1].latency.HTTP).toBeUndefined();
    expect(s.protocols).toEqual(["HTTP"]);
  });
  it("narrows buckets for short spans", () => {
    const rows = [http("GET", "/a", 200, { timestamp: t0 }), http("GET", "/b", 200, { timestamp: t0 + 1500 })];
    const s = timeSeries(rows);
    expect(s.width).toBe(100);
    expect(s.buckets).toHaveLength(16);
  });
  it("widens buckets for long spans", () => {
    const rows = [http("GET", "/a", 200, { timestamp: t0 }), http("GET", "/b", 200, { timestamp: t0 + 3600_000 })];
    const s = timeSeries(rows, 60);
    expect(s.width).toBe(120_000);
    expect(s.buckets.length).toBeLessThanOrEqual(60);
    expect(s.buckets.reduce((a, b) => a + b.calls, 0)).toBe(2);
  });
  it("is empty without calls", () => {
    expect(timeSeries([]).buckets).toEqual([]);
  });
});
