import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { useState } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { QueryError } from "../../src/api";
import { FilterBar } from "../../src/FilterBar";

afterEach(cleanup);

const fields = ["request.method", "request.headers", "response.status", "src.ip"];

function Harness(props: { initial: string; error?: QueryError | null; onApply?: () => void }) {
  const [draft, setDraft] = useState(props.initial);
  return <FilterBar draft={draft} setDraft={setDraft} error={props.error ?? null} history={["dns"]} fields={fields}
                    onApply={props.onApply ?? (() => {})} />;
}

function type(input: HTMLInputElement, text: string) {
  fireEvent.change(input, { target: { value: text, selectionStart: text.length } });
  input.setSelectionRange(text.length, text.length);
}

describe("<FilterBar>", () => {
  it("completes the word at the cursor with Tab", () => {
    render(<Harness initial="" />);
    const input = screen.getByLabelText("KFL filter") as HTMLInputElement;
    fireEvent.focus(input);
    type(input, "http and resp");
    // A segment at a time.
    expect(screen.getAllByRole("option").map((o) => o.textContent)).toEqual(["response"]);
    fireEvent.keyDown(input, { key: "Tab" });
    expect(input.value).toBe("http and response");
    type(input, "http and response.");
    expect(screen.getAllByRole("option").map((o) => o.textContent)).toEqual(["response.status"]);
  });
  it("chooses with the arrows and Enter; Enter alone applies", () => {
    const onApply = vi.fn();
    render(<Harness initial="" onApply={onApply} />);
    const input = screen.getByLabelText("KFL filter") as HTMLInputElement;
    fireEvent.focus(input);
    type(input, "request.");
    expect(screen.getAllByRole("option").map((o) => o.textContent)).toEqual(["request.method", "request.headers"]);
    fireEvent.keyDown(input, { key: "ArrowDown" });
    fireEvent.keyDown(input, { key: "ArrowDown" });
    fireEvent.keyDown(input, { key: "ArrowUp" });
    fireEvent.keyDown(input, { key: "Enter" });
    expect(input.value).toBe("request.method");
    expect(onApply).not.toHaveBeenCalled();
    fireEvent.keyDown(input, { key: "Enter" });
    expect(onApply).toHaveBeenCalledTimes(1);
  });
  it("offers the history when empty", () => {
    render(<Harness initial="" />);
    fireEvent.focus(screen.getByLabelText("KFL filter"));
    expect(screen.getAllByRole("option")[0].textContent).toBe("dns");
  });
  it("shows an error with a caret under its column and disables Apply", () => {
    render(<Harness initial="http and" error={{ error: "1:9: expected an expression", line: 1, column: 9 }} />);
    expect(screen.getByRole("alert").textContent).toBe("1:9: expected an expressionhttp and\n        ^");
    expect((screen.getByRole("button", { name: "Apply" }) as HTMLButtonElement).disabled).toBe(true);
  });
});
