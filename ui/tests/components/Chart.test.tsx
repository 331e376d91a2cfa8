import { cleanup, render } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { LineChart } from "../../src/Chart";

afterEach(cleanup);

describe("<LineChart>", () => {
  it("draws runs of data as lines, lone points as dots, gaps as nothing", () => {
    const { container } = render(
      <LineChart title="Latency p50" unit="ms" starts={[0, 1000, 2000, 3000, 4000]} width={1000}
                 lines={[{ name: "HTTP", className: "l-HTTP", values: [1, 2, null, 8, null] }]} />,
    );
    expect(container.querySelectorAll("polyline")).toHaveLength(1);
    expect(container.querySelector("polyline")!.getAttribute("points")!.split(" ")).toHaveLength(2);
    expect(container.querySelectorAll("circle")).toHaveLength(1);
    // The axis is rounded up from the largest value.
    expect([...container.querySelectorAll("text")].map((t) => t.textContent)).toContain("10");
  });
});
