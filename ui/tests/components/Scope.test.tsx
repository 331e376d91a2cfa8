import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Scope, scopeQuery, scopesOf } from "../../src/Scope";
import { http } from "./entries";

afterEach(cleanup);

const pod = (ip: string, name: string, namespace: string, workload?: string) => ({
  ip, port: 80, name, namespace, kind: "pod", ...(workload ? { workload: { kind: "Deployment", name: workload } } : {}),
});
const rows = [
  http("GET", "/a", 200, { src: pod("10.0.0.2", "client", "shop"), dst: pod("10.0.0.1", "web-1", "shop", "web") }),
  http("GET", "/b", 200, { src: pod("10.0.0.3", "cart-1", "shop", "cart"), dst: pod("10.0.1.1", "db-0", "data", "db") }),
];

const twoClusters = [
  { ...http("GET", "/a", 200, { src: pod("10.0.0.2", "client", "shop"), dst: pod("10.0.0.1", "web-1", "shop", "web") }),
    cluster: { name: "eu" } },
  { ...http("GET", "/b", 200, { src: pod("10.0.0.3", "cart-1", "shop", "cart"), dst: pod("10.0.1.1", "db-0", "data", "db") }),
    cluster: { name: "us" } },
];

describe("scopes", () => {
  it("lists the namespaces and their workloads at either end", () => {
    const s = scopesOf(rows);
    expect(s.namespaces.map((n) => n.label)).toEqual(["data", "shop"]);
    expect(s.namespaces.map((n) => n.cluster)).toEqual(["", ""]);
    expect(s.workloads.get("shop")).toEqual(["cart", "web"]);
  });
  it("keeps the same namespace of two clusters apart", () => {
    const s = scopesOf(twoClusters);
    expect(s.namespaces.map((n) => n.label)).toEqual(["eu / shop", "us / data", "us / shop"]);
    expect(s.workloads.get(JSON.stringify(["eu", "shop"]))).toEqual(["web"]);
    expect(s.workloads.get(JSON.stringify(["us", "shop"]))).toEqual(["cart"]);
    expect(scopeQuery("shop", "web", "eu")).toBe(
      'cluster.name == "eu" and ((src.namespace == "shop" and src.workload.name == "web") or ' +
      '(dst.namespace == "shop" and dst.workload.name == "web"))');
  });
  it("selects a namespace, or a workload in it, at either end", () => {
    expect(scopeQuery("shop", "")).toBe('src.namespace == "shop" or dst.namespace == "shop"');
    expect(scopeQuery("shop", "web")).toBe(
      '(src.namespace == "shop" and src.workload.name == "web") or (dst.namespace == "shop" and dst.workload.name == "web")');
  });
});

describe("<Scope>", () => {
  it("is not shown without identity", () => {
    render(<Scope rows={[http("GET", "/", 200)]} onFilter={() => {}} />);
    expect(screen.queryByTestId("scope-namespace")).toBeNull();
  });
  it("filters to the namespace, then to the workload chosen", () => {
    const onFilter = vi.fn();
    render(<Scope rows={rows} onFilter={onFilter} />);
    fireEvent.change(screen.getByTestId("scope-namespace"), { target: { value: "shop" } });
    expect(onFilter).toHaveBeenLastCalledWith(scopeQuery("shop", ""));
    fireEvent.change(screen.getByTestId("scope-workload"), { target: { value: "web" } });
    expect(onFilter).toHaveBeenLastCalledWith(scopeQuery("shop", "web"));
    fireEvent.change(screen.getByTestId("scope-namespace"), { target: { value: "" } });
    expect(onFilter).toHaveBeenLastCalledWith("");
  });
  it("across clusters, filters to one cluster's namespace and lists only its workloads", () => {
    const onFilter = vi.fn();
    render(<Scope rows={twoClusters} onFilter={onFilter} />);
    fireEvent.change(screen.getByTestId("scope-namespace"), { target: { value: JSON.stringify(["us", "shop"]) } });
    expect(onFilter).toHaveBeenLastCalledWith(scopeQuery("shop", "", "us"));
    const workloads = [...screen.getByTestId("scope-workload").querySelectorAll("option")].map((o) => o.value);
    expect(workloads).toEqual(["", "cart"]);
    fireEvent.change(screen.getByTestId("scope-workload"), { target: { value: "cart" } });
    expect(onFilter).toHaveBeenLastCalledWith(scopeQuery("shop", "cart", "us"));
  });
});
