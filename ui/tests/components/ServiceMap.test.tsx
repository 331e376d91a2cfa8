import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ServiceMap, edgesOf } from "../../src/ServiceMap";
import { acrossClusters } from "../../src/names";
import { http, REDIS, entry, TCP } from "./entries";

afterEach(cleanup);

const shop = (ip: string, port: number, name: string) => ({ ip, port, name, namespace: "shop" });
const rows = [
  http("GET", "/a", 200, { src: { ip: "10.0.0.2", port: 1 }, dst: { ip: "10.0.0.1", port: 80 }, elapsedTime: 1 }),
  http("GET", "/b", 500, { src: { ip: "10.0.0.2", port: 2 }, dst: { ip: "10.0.0.1", port: 80 }, elapsedTime: 9 }),
  http("GET", "/c", 200, { src: { ip: "10.0.0.3", port: 3 }, dst: { ip: "10.0.0.1", port: 8080 }, elapsedTime: 2 }),
  entry({ protocol: REDIS, request: { command: "GET" }, response: { type: "bulk" },
          src: shop("10.1.0.5", 4, "api-0"), dst: shop("10.1.0.6", 6379, "cache-0") }),
  entry({ protocol: TCP, request: { packets: 1 }, src: { ip: "10.0.0.2", port: 1 }, dst: { ip: "10.0.0.1", port: 80 } }),
];

describe("edgesOf", () => {
  it("makes one edge per client host and service endpoint, flows left out", () => {
    const edges = edgesOf(rows);
    expect(edges).toHaveLength(3);
    const web = edges.find((e) => e.service === "10.0.0.1:80")!;
    expect(web).toMatchObject({ client: "10.0.0.2", protocol: "HTTP", calls: 2, errors: 1, p50: 9, p95: 9 });
    expect(web.query).toBe('src.ip == "10.0.0.2" and dst.ip == "10.0.0.1" and dst.port == 80 and not (tcp or udp or sctp)');
    expect(edges.find((e) => e.protocol === "REDIS")).toMatchObject({ client: "shop/api-0", service: "shop/cache-0:6379" });
  });
  it("groups by host and by namespace", () => {
    const hosts = edgesOf(rows, "host");
    expect(hosts.map((e) => `${e.client} -> ${e.service}`).sort())
      .toEqual(["10.0.0.2 -> 10.0.0.1", "10.0.0.3 -> 10.0.0.1", "shop/api-0 -> shop/cache-0"]);
    const ns = edgesOf(rows, "namespace");
    const inShop = ns.find((e) => e.client === "ns/shop")!;
    expect(inShop.service).toBe("ns/shop");
    expect(inShop.query).toBe('src.namespace == "shop" and dst.namespace == "shop" and not (tcp or udp or sctp)');
  });
  it("names services from DNS answers and selects all their addresses", () => {
    const book = new Map([["10.0.0.1", "web.example"], ["10.0.0.9", "web.example"]]);
    const more = [...rows, http("GET", "/d", 200, { src: { ip: "10.0.0.2", port: 5 }, dst: { ip: "10.0.0.9", port: 80 } })];
    const web = edgesOf(more, "endpoint", book).find((e) => e.service === "web.example:80" && e.client === "10.0.0.2")!;
    expect(web.calls).toBe(3);
    expect(web.query).toContain('dst.ip in ["10.0.0.1", "10.0.0.9"] and dst.port == 80');
  });
});

describe("<ServiceMap>", () => {
  it("draws nodes and labelled edges, and filters the stream to a clicked edge", () => {
    const onFilter = vi.fn();
    render(<ServiceMap rows={rows} names={new Map()} onFilter={onFilter} />);
    expect(screen.getAllByTestId("map-edge")).toHaveLength(3);
    expect(screen.getAllByTestId("map-node").map((n) => n.textContent).sort())
      .toEqual(["10.0.0.1:80", "10.0.0.1:8080", "10.0.0.2", "10.0.0.3", "shop/api-0", "shop/cache-0:6379"]);
    const web = screen.getAllByTestId("map-edge").find((e) => e.textContent!.startsWith("HTTP 2 calls"))!;
    expect(web.textContent).toContain("50% errors · p50 9 ms · p95 9 ms");
    fireEvent.click(web);
    expect(onFilter).toHaveBeenCalledWith(expect.stringContaining('dst.port == 80'));
  });
  it("regroups when asked", () => {
    render(<ServiceMap rows={rows} names={new Map()} onFilter={() => {}} />);
    fireEvent.click(screen.getByRole("button", { name: "namespace" }));
    expect(screen.getByTestId("service-map").getAttribute("data-grouping")).toBe("namespace");
    expect(screen.getAllByTestId("map-node").map((n) => n.textContent)).toContain("ns/shop");
  });
  it("says why it is empty", () => {
    render(<ServiceMap rows={[]} names={new Map()} onFilter={() => {}} />);
    expect(screen.getByText(/No calls in view/)).toBeTruthy();
  });
});

describe("the map with Kubernetes identity", () => {
  const pod = (ip: string, name: string, workload?: string) => ({
    ip, port: 80, name, namespace: "shop", kind: "pod", ...(workload ? { workload: { kind: "Deployment", name: workload } } : {}),
  });
  const named = [
    http("GET", "/a", 200, { src: pod("10.0.0.2", "client"), dst: pod("10.0.0.1", "web-1", "web") }),
    http("GET", "/b", 200, { src: pod("10.0.0.2", "client"), dst: pod("10.0.0.5", "web-2", "web") }),
    http("GET", "/c", 200, { src: pod("10.0.0.2", "client"), dst: { ip: "203.0.113.7", port: 80, kind: "external", dns: "ext.example" } }),
  ];
  it("groups by workload by default, the workload's pods as one node", () => {
    render(<ServiceMap rows={named} names={new Map()} onFilter={() => {}} />);
    expect(screen.getByTestId("service-map").getAttribute("data-grouping")).toBe("workload");
    expect(screen.getAllByTestId("map-node").map((n) => n.textContent).sort())
      .toEqual(["ext.example", "shop/client", "shop/web"]);
  });
  it("selects a workload's calls by its name", () => {
    const web = edgesOf(named, "workload").find((e) => e.service === "shop/web")!;
    expect(web.calls).toBe(2);
    expect(web.query).toBe('src.ip == "10.0.0.2" and dst.namespace == "shop" and dst.workload.name == "web" and not (tcp or udp or sctp)');
  });
});

describe("the map across clusters (a hub over hubs)", () => {
  const pod = (ip: string, port: number, name: string) => ({
    ip, port, name, namespace: "shop", kind: "pod", workload: { kind: "Deployment", name },
  });
  const external = (ip: string, port: number) => ({ ip, port, kind: "external" });
  // One call from east's client to west's web, seen by both clusters' workers;
  // a call inside west; a call from east to an address neither cluster names.
  const rows = [
    http("GET", "/across", 200, { src: pod("10.61.0.2", 40001, "client"), dst: external("10.62.0.2", 8080),
                                  cluster: { name: "east" } }),
    http("GET", "/across", 200, { src: external("10.61.0.2", 40001), dst: pod("10.62.0.2", 8080, "web"),
                                  cluster: { name: "west" } }),
    http("GET", "/inside", 200, { src: pod("10.62.0.3", 40002, "cron"), dst: pod("10.62.0.2", 8080, "web"),
                                  cluster: { name: "west" } }),
    http("GET", "/out", 200, { src: pod("10.61.0.2", 40003, "client"), dst: external("203.0.113.9", 80),
                               cluster: { name: "east" } }),
  ];
  const shown = acrossClusters(rows);
  it("names each side with the cluster that knows it", () => {
    expect(shown[0].dst).toMatchObject({ name: "web", cluster: "west", borrowed: true, port: 8080 });
    expect(shown[1].src).toMatchObject({ name: "client", cluster: "east", borrowed: true, port: 40001 });
    expect(shown[2].src).toMatchObject({ name: "cron", cluster: "west" });
    expect(shown[3].dst.name).toBeUndefined();
  });
  it("draws a call between two captured clusters as one edge of one call", () => {
    const edges = edgesOf(shown, "workload");
    expect(edges.map((e) => `${e.client} -> ${e.service} ${e.calls}`).sort()).toEqual([
      "east: shop/client -> 203.0.113.9 1",
      "east: shop/client -> west: shop/web 1",
      "west: shop/cron -> west: shop/web 1",
    ]);
  });
  it("selects the call by what its entry holds", () => {
    const across = edgesOf(shown, "workload").find((e) => e.service === "west: shop/web" && e.client.startsWith("east"))!;
    expect(across.query).toBe('cluster.name == "east" and src.namespace == "shop" and src.workload.name == "client" and ' +
                              'dst.ip == "10.62.0.2" and not (tcp or udp or sctp)');
    const web = edgesOf(shown, "workload").find((e) => e.client === "west: shop/cron")!;
    expect(web.query).toContain('cluster.name == "west" and dst.namespace == "shop" and dst.workload.name == "web"');
  });
  it("borrows no name for an address its own cluster names, or several others do (overlapping pod ranges)", () => {
    const overlapping = [
      // 10.244.0.5 is a pod in south, north and east; north's entry leaves it unnamed once.
      http("GET", "/s", 200, { src: pod("10.244.0.5", 40012, "south-api"), dst: external("10.0.9.9", 80),
                               cluster: { name: "south" } }),
      http("GET", "/n", 200, { src: pod("10.244.0.5", 40010, "north-api"), dst: pod("10.244.0.9", 80, "db"),
                               cluster: { name: "north" } }),
      http("GET", "/n2", 200, { src: external("10.244.0.5", 40011), dst: pod("10.244.0.9", 80, "db"),
                                cluster: { name: "north" } }),
      http("GET", "/e", 200, { src: pod("10.244.0.5", 40013, "east-api"), dst: external("10.0.9.9", 80),
                               cluster: { name: "east" } }),
      // An address several other clusters name: whose it is cannot be told.
      http("GET", "/w", 200, { src: pod("10.0.5.5", 40014, "west-api"), dst: external("10.244.0.5", 80),
                               cluster: { name: "west" } }),
    ];
    const named = acrossClusters(overlapping);
    expect(named[2].src.name).toBeUndefined();
    expect(named[2].src.borrowed).toBeUndefined();
    expect(named[4].dst.name).toBeUndefined();
  });
  it("leaves a view of one cluster as it is", () => {
    const one = rows.filter((e) => e.cluster?.name === "west");
    expect(acrossClusters(one)).toBe(one);
    expect(edgesOf(one, "workload").map((e) => e.client).sort()).toEqual(["10.61.0.2", "shop/cron"]);
  });
});
