// The KFL filter: validation as you type (the error with a caret under its
// column), completion of the word under the cursor, and the query history.
import { useLayoutEffect, useMemo, useRef, useState } from "react";
import type { QueryError } from "./api";
import { Completion, applyCompletion, complete } from "./complete";

const EXAMPLES = [
  "http and response.status >= 500", "request.method == \"POST\"", "request.path.startsWith(\"/api\")",
  "elapsedTime > 100", "dns and response.rcodeName != \"NOERROR\"", "redis and request.command == \"GET\"",
  "has(error)", "timestamp >= now() - minutes(5)",
];

export function FilterBar(props: {
  draft: string;
  setDraft: (d: string) => void;
  error: QueryError | null;
  history: string[];
  fields: string[];
  onApply: () => void;
}) {
  const { draft, setDraft, error } = props;
  const input = useRef<HTMLInputElement>(null);
  const [cursor, setCursor] = useState(draft.length);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1); // -1: none chosen yet
  const caretAfter = useRef<number | null>(null);

  // An empty filter offers the history and examples; otherwise the word at the cursor.
  const completion: Completion = useMemo(() => {
    if (!draft.trim())
      return { from: 0, to: draft.length, options: [...new Set([...props.history, ...EXAMPLES])].slice(0, 20) };
    return complete(draft, cursor, props.fields);
  }, [draft, cursor, props.fields, props.history]);
  const shown = open && completion.options.length > 0;
  const chosen = active < completion.options.length ? active : -1;

  useLayoutEffect(() => {
    if (caretAfter.current !== null && input.current) {
      input.current.setSelectionRange(caretAfter.current, caretAfter.current);
      caretAfter.current = null;
    }
  });

  const accept = (option: string) => {
    const next = applyCompletion(draft, completion, option);
    setDraft(next.text);
    setCursor(next.cursor);
    caretAfter.current = next.cursor;
    setActive(-1);
  };

  return (
    <div className="filter">
      <div className="filter-input">
        <input
          ref={input}
          aria-label="KFL filter"
          role="combobox"
          aria-expanded={shown}
          aria-controls="kfl-completions"
          aria-autocomplete="list"
          className={error ? "invalid" : ""}
          placeholder="KFL filter, e.g. http and response.status >= 500"
          value={draft}
          spellCheck={false}
          onChange={(e) => {
            setDraft(e.target.value);
            setCursor(e.target.selectionStart ?? e.target.value.length);
            setOpen(true);
            setActive(-1);
          }}
          onSelect={(e) => setCursor(e.currentTarget.selectionStart ?? 0)}
          onFocus={() => setOpen(true)}
          onBlur={() => setOpen(false)}
          onKeyDown={(e) => {
            if (shown && (e.key === "ArrowDown" || e.key === "ArrowUp")) {
              e.preventDefault();
              const n = completion.options.length;
              setActive((a) => (e.key === "ArrowDown" ? (a + 1) % n : (a <= 0 ? n - 1 : a - 1)));
            } else if (shown && e.key === "Tab") {
              e.preventDefault();
              accept(completion.options[Math.max(0, chosen)]);
            } else if (shown && e.key === "Enter" && chosen >= 0) {
              // Enter applies the query unless a suggestion was chosen with the arrows.
              e.preventDefault();
              accept(completion.options[chosen]);
            } else if (e.key === "Escape") {
              setOpen(false);
            } else if (e.key === "Enter") {
              setOpen(false);
              props.onApply();
            }
          }}
        />
        {shown && (
          <ul className="completions" id="kfl-completions" role="listbox" data-testid="completions">
            {completion.options.map((o, i) => (
              <li key={o} role="option" aria-selected={i === chosen} className={i === chosen ? "active" : ""}
                  onMouseDown={(e) => { e.preventDefault(); accept(o); }}>
                {o}
              </li>
            ))}
          </ul>
        )}
      </div>
      <button onClick={props.onApply} disabled={!!error}>Apply</button>
      {error && (
        <div className="query-error" role="alert">
          {error.error}
          <pre>
            {draft.split("\n")[error.line - 1] ?? ""}
            {"\n" + " ".repeat(Math.max(0, error.column - 1)) + "^"}
          </pre>
        </div>
      )}
    </div>
  );
}
