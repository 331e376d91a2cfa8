import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Detail } from "../../src/Detail";
import { http } from "./entries";

const post = http("POST", "/login?next=%2Fhome&x=1&x=2", 302, {
  stream: "42",
  request: {
    method: "POST", url: "/login?next=%2Fhome&x=1&x=2", path: "/login", queryString: { next: "/home", x: ["1", "2"] },
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: "sid=abc; lang=en" },
    body: "user=ann&pass=secret", bodySize: 20,
  },
  response: {
    status: 302, statusText: "Found",
    headers: { "content-type": "application/json", "set-cookie": "sid=def; HttpOnly" },
    body: '{"ok":true}', bodySize: 11,
  },
  error: "gap in stream",
});
const sibling = http("GET", "/home", 200, { stream: "42" });

// The component asks the worker for the other entries on the connection.
const fetchMock = vi.fn();
beforeEach(() => {
  fetchMock.mockReset();
  fetchMock.mockResolvedValue({ ok: true, json: async () => ({ entries: [sibling, post] }) });
  vi.stubGlobal("fetch", fetchMock);
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe("<Detail>", () => {
  it("shows headers, query string, cookies and bodies by type", async () => {
    render(<Detail entry={post} names={new Map()} onClose={() => {}} onPick={() => {}} onSelect={() => {}} />);
    const req = screen.getByTestId("request-side");
    expect(within(req).getByTestId("request-headers").textContent).toContain("content-typeapplication/x-www-form-urlencoded");
    expect(within(req).getByTestId("request-query").textContent).toBe("next/homex1x2");
    expect(within(req).getByTestId("request-cookies").textContent).toBe("sidabclangen");
    const form = within(req).getByTestId("request-body");
    expect(form.getAttribute("data-kind")).toBe("form");
    expect(form.textContent).toBe("userannpasssecret");
    const res = screen.getByTestId("response-side");
    expect(within(res).getByTestId("response-body").textContent).toBe('{\n  "ok": true\n}');
    expect(within(res).getByTestId("response-cookies").textContent).toBe("siddef (HttpOnly)");
    expect(screen.getByTestId("entry-error").textContent).toBe("gap in stream");
  });
  it("lists the other entries of the connection and opens them", async () => {
    const onSelect = vi.fn();
    render(<Detail entry={post} names={new Map()} onClose={() => {}} onPick={() => {}} onSelect={onSelect} />);
    expect(decodeURIComponent(fetchMock.mock.calls[0][0])).toContain('q=stream == "42"');
    const related = await screen.findByRole("button", { name: /GET \/home/ });
    fireEvent.click(related);
    expect(onSelect).toHaveBeenCalledWith(sibling);
    expect(screen.getByTestId("related").textContent).not.toContain("/login");
  });
  it("adds a clicked header or field value to the filter", () => {
    const onPick = vi.fn();
    render(<Detail entry={post} names={new Map()} onClose={() => {}} onPick={onPick} onSelect={() => {}} />);
    fireEvent.click(within(screen.getByTestId("request-headers")).getByText("sid=abc; lang=en"));
    expect(onPick).toHaveBeenCalledWith("request.headers.cookie", "sid=abc; lang=en");
    const status = screen.getAllByRole("button").find((b) => b.getAttribute("data-path") === "response.status")!;
    fireEvent.click(status);
    expect(onPick).toHaveBeenLastCalledWith("response.status", 302);
    const ct = screen.getAllByRole("button").find((b) => b.getAttribute("data-path") === 'request.headers["content-type"]');
    expect(ct).toBeTruthy();
  });
  it("switches between side by side and stacked", async () => {
    render(<Detail entry={post} names={new Map()} onClose={() => {}} onPick={() => {}} onSelect={() => {}} />);
    const sides = screen.getByTestId("request-side").parentElement!;
    const before = sides.className.includes("stacked");
    fireEvent.click(screen.getByRole("button", { name: before ? "Side by side" : "Stacked" }));
    await waitFor(() => expect(sides.className.includes("stacked")).toBe(!before));
  });
});

describe("<Detail> with Kubernetes identity", () => {
  const named = http("GET", "/svc", 200, {
    stream: "7",
    src: { ip: "10.244.1.20", port: 40000, name: "client", namespace: "shop", kind: "pod", labels: { app: "client" } },
    dst: {
      ip: "10.244.1.10", port: 80, name: "web-7c9d8-x2x7q", namespace: "shop", kind: "pod",
      workload: { kind: "Deployment", name: "web" }, labels: { app: "web", "app.kubernetes.io/part-of": "shop" },
      services: ["web"],
    },
    node: { name: "n1" },
  });
  it("shows both ends' pod, workload, labels and services, and the node, each clickable into the query", () => {
    const onPick = vi.fn();
    render(<Detail entry={named} names={new Map()} onClose={() => {}} onPick={onPick} onSelect={() => {}} />);
    const dst = screen.getByTestId("identity-dst");
    expect(dst.textContent).toContain("pod shop / web-7c9d8-x2x7q · Deployment web · service web");
    expect(dst.textContent).toContain("app=web");
    fireEvent.click(within(dst).getByText("shop", { selector: "[data-path='dst.namespace']" }));
    expect(onPick).toHaveBeenLastCalledWith("dst.namespace", "shop");
    fireEvent.click(within(dst).getByText("web", { selector: "[data-path='dst.workload.name']" }));
    expect(onPick).toHaveBeenLastCalledWith("dst.workload.name", "web");
    fireEvent.click(within(dst).getByText("shop", { selector: "[data-path^='dst.labels']" }));
    expect(onPick).toHaveBeenLastCalledWith('dst.labels["app.kubernetes.io/part-of"]', "shop");
    expect(screen.getByTestId("identity-src").textContent).toContain("pod shop / client");
    fireEvent.click(screen.getByText("n1"));
    expect(onPick).toHaveBeenLastCalledWith("node.name", "n1");
  });
});
