import { cleanup, render, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Overview } from "../../src/Overview";

afterEach(cleanup);

const fetchMock = vi.fn();
beforeEach(() => {
  fetchMock.mockReset();
  vi.stubGlobal("fetch", fetchMock);
});

const workerStats = { capture: { packets: 10 }, entries: { by_protocol: { http: 3 } }, store: { entries: 3, bytes: 100 } };

describe("<Overview>", () => {
  it("shows each node's health when a hub serves it", async () => {
    fetchMock.mockResolvedValue({
      ok: true,
      json: async () => ({
        ...workerStats,
        partial: true,
        missing: ["n3"],
        members: [
          { name: "n1", url: "http://10.0.0.1:8897", up: true },
          { name: "n2", url: "http://10.0.0.2:8897", up: null },
          { name: "n3", url: "http://10.0.0.3:8897", up: false, error: "cannot connect: Connection refused" },
        ],
      }),
    });
    render(<Overview rows={[]} />);
    await waitFor(() => expect(screen.getAllByTestId("node-health")).toHaveLength(3));
    const rows = screen.getAllByTestId("node-health").map((r) => r.textContent);
    expect(rows[0]).toContain("up");
    expect(rows[1]).toContain("not asked yet");
    expect(rows[2]).toContain("down");
    expect(rows[2]).toContain("Connection refused");
    expect(screen.getByTestId("nodes").textContent).toContain("1 of 3 answering");
  });
  it("shows no nodes for a worker", async () => {
    fetchMock.mockResolvedValue({ ok: true, json: async () => workerStats });
    render(<Overview rows={[]} />);
    await waitFor(() => expect(screen.getAllByTestId("protocol-count")).toHaveLength(1));
    expect(screen.queryByTestId("nodes")).toBeNull();
  });
});
