// The dashboard: a filter bar, the live stream of entries, and the detail of
// the entry selected. The query lives in the URL (?q=) so a view can be shared.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Entry, QueryError, fetchEntries, openStream, validate } from "./api";
import { Overview } from "./Overview";
import { ServiceMap } from "./ServiceMap";
import { endpoint, status, summary } from "./summary";

type View = "stream" | "map" | "overview";

const ROW_HEIGHT = 28;
const MAX_ROWS = 20000; // older rows leave memory (they stay in the worker's store)

function initialQuery(): string {
  return new URLSearchParams(window.location.search).get("q") ?? "";
}

export function App() {
  const [draft, setDraft] = useState(initialQuery);
  const [query, setQuery] = useState(initialQuery);
  const [queryError, setQueryError] = useState<QueryError | null>(null);
  const [rows, setRows] = useState<Entry[]>([]);
  const [selected, setSelected] = useState<Entry | null>(null);
  const [streamStatus, setStreamStatus] = useState("connecting");
  const [problem, setProblem] = useState<string | null>(null);
  const [paused, setPaused] = useState(false);
  const [view, setView] = useState<View>("stream");
  const [newCount, setNewCount] = useState(0);
  const [toTop, setToTop] = useState(0);
  const awayRef = useRef(false);
  const [history, setHistory] = useState<string[]>(() => JSON.parse(localStorage.getItem("trawl.history") ?? "[]"));
  const pending = useRef<Entry[]>([]);
  const pausedRef = useRef(paused);
  pausedRef.current = paused;

  // Validation as you type.
  useEffect(() => {
    let stale = false;
    const t = window.setTimeout(() => {
      validate(draft)
        .then((err) => !stale && setQueryError(err))
        .catch((e: Error) => !stale && setProblem(`cannot reach the worker: ${e.message}`));
    }, 150);
    return () => {
      stale = true;
      window.clearTimeout(t);
    };
  }, [draft]);

  // History first (newest first), then the live stream for the same query.
  useEffect(() => {
    let active = true;
    setRows([]);
    setSelected(null);
    pending.current = [];
    const url = new URL(window.location.href);
    if (query) url.searchParams.set("q", query);
    else url.searchParams.delete("q");
    window.history.replaceState(null, "", url);
    fetchEntries(query, 500)
      .then((entries) => {
        if (!active) return;
        setProblem(null);
        setRows((live) => {
          const seen = new Set(live.map((e) => e.id));
          return [...live, ...entries.filter((e) => !seen.has(e.id))];
        });
      })
      .catch((e: Error) => active && setProblem(`cannot load entries: ${e.message} (retrying with the stream)`));
    const close = openStream(
      query,
      (e) => {
        pending.current.push(e);
      },
      (s) => active && setStreamStatus(s),
    );
    // Entries arriving are added in batches, a few times a second.
    const flush = window.setInterval(() => {
      // Held while paused or scrolled away from the top: the reader's place stays put.
      if (pending.current.length > MAX_ROWS) pending.current = pending.current.slice(-MAX_ROWS);
      if (pausedRef.current || awayRef.current) {
        setNewCount(pending.current.length);
        return;
      }
      setNewCount(0);
      if (pending.current.length === 0) return;
      const batch = pending.current.reverse();
      pending.current = [];
      setRows((old) => {
        const seen = new Set(old.slice(0, 2000).map((e) => e.id));
        return [...batch.filter((e) => !seen.has(e.id)), ...old].slice(0, MAX_ROWS);
      });
    }, 250);
    return () => {
      active = false;
      close();
      window.clearInterval(flush);
    };
  }, [query]);

  const apply = useCallback(() => {
    if (queryError) return;
    const q = draft.trim();
    setQuery(q);
    if (q) {
      const next = [q, ...history.filter((h) => h !== q)].slice(0, 20);
      setHistory(next);
      localStorage.setItem("trawl.history", JSON.stringify(next));
    }
  }, [draft, queryError, history]);
  // A value clicked in the detail narrows the query to it.
  const pick = useCallback((path: string, value: unknown) => {
    const literal = typeof value === "string" ? JSON.stringify(value) : String(value);
    setDraft((d) => (d.trim() ? `${d.trim()} and ${path} == ${literal}` : `${path} == ${literal}`));
  }, []);
  const filterTo = useCallback((q: string) => {
    setDraft(q);
    setQuery(q);
    setView("stream");
  }, []);

  return (
    <div className="app">
      <header>
        <span className="brand">trawl</span>
        <div className="filter">
          <datalist id="kfl-suggestions">
            {[...history, ...SUGGESTIONS].map((h) => (
              <option key={h} value={h} />
            ))}
          </datalist>
          <input
            aria-label="KFL filter"
            list="kfl-suggestions"
            className={queryError ? "invalid" : ""}
            placeholder='KFL filter, e.g. http and response.status >= 500'
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            onKeyDown={(e) => e.key === "Enter" && apply()}
            spellCheck={false}
          />
          <button onClick={apply} disabled={!!queryError}>
            Apply
          </button>
          {queryError && (
            <div className="query-error" role="alert">
              {queryError.error}
              <pre>
                {draft.split("\n")[queryError.line - 1] ?? ""}
                {"\n" + " ".repeat(Math.max(0, queryError.column - 1)) + "^"}
              </pre>
            </div>
          )}
        </div>
        <nav>
          {(["stream", "map", "overview"] as View[]).map((v) => (
            <button key={v} className={view === v ? "active" : ""} onClick={() => setView(v)}>
              {v === "stream" ? "Stream" : v === "map" ? "Service map" : "Overview"}
            </button>
          ))}
        </nav>
        <button onClick={() => setPaused((p) => !p)}>{paused ? "Resume" : "Pause"}</button>
        {newCount > 0 && (
          <button className="new" data-testid="new-entries" onClick={() => { setPaused(false); setToTop((n) => n + 1); }}>
            {newCount} new ↑
          </button>
        )}
        <span className="status" data-testid="stream-status" data-rows={rows.length}>
          {streamStatus} · {rows.length} entries
        </span>
      </header>
      {problem && (
        <div className="problem" role="status">
          {problem}
        </div>
      )}
      <main>
        {view === "stream" && (
          <Stream rows={rows} selected={selected} onSelect={setSelected} toTop={toTop}
                  onAway={(away) => { awayRef.current = away; }} />
        )}
        {view === "stream" && selected && <Detail entry={selected} onClose={() => setSelected(null)} onPick={pick} />}
        {view === "map" && <ServiceMap rows={rows} onFilter={filterTo} />}
        {view === "overview" && <Overview />}
      </main>
    </div>
  );
}

// Only the rows in view are rendered: 20,000 rows stay smooth.
function Stream(props: {
  rows: Entry[];
  selected: Entry | null;
  onSelect: (e: Entry) => void;
  toTop: number;
  onAway: (away: boolean) => void;
}) {
  const box = useRef<HTMLDivElement>(null);
  const { toTop, onAway } = props;
  useEffect(() => {
    if (toTop && box.current) {
      box.current.scrollTop = 0;
      onAway(false);
    }
  }, [toTop, onAway]);
  const [scroll, setScroll] = useState(0);
  const [height, setHeight] = useState(600);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setHeight(el.clientHeight));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  const first = Math.max(0, Math.floor(scroll / ROW_HEIGHT) - 5);
  const last = Math.min(props.rows.length, first + Math.ceil(height / ROW_HEIGHT) + 10);
  const visible = useMemo(() => props.rows.slice(first, last), [props.rows, first, last]);
  return (
    <div
      className="stream"
      ref={box}
      data-testid="stream"
      onScroll={(e) => {
        setScroll(e.currentTarget.scrollTop);
        props.onAway(e.currentTarget.scrollTop > ROW_HEIGHT);
      }}
    >
      <div className="row head">
        <span>protocol</span>
        <span>summary</span>
        <span>status</span>
        <span>source → destination</span>
        <span>time</span>
        <span>latency</span>
      </div>
      <div style={{ height: props.rows.length * ROW_HEIGHT, position: "relative" }}>
        {visible.map((e, i) => {
          const st = status(e);
          return (
            <div
              key={e.id}
              className={"row entry" + (props.selected?.id === e.id ? " selected" : "")}
              style={{ position: "absolute", top: (first + i) * ROW_HEIGHT, height: ROW_HEIGHT }}
              onClick={() => props.onSelect(e)}
              data-testid="entry-row"
            >
              <span className={`badge p-${e.protocol.name}`}>{e.protocol.abbr}</span>
              <span className="summary">{summary(e)}</span>
              <span className={`st ${st.kind}`}>{st.text}</span>
              <span className="route">
                {endpoint(e.src)} → {endpoint(e.dst)}
              </span>
              <span>{new Date(e.timestamp).toISOString().slice(11, 23)}</span>
              <span>{e.response ? `${e.elapsedTime} ms` : ""}</span>
            </div>
          );
        })}
      </div>
    </div>
  );
}

// Field names and macros offered as you type (with the query history).
const SUGGESTIONS = [
  "http", "http2", "grpc", "graphql", "websocket", "redis", "kafka", "amqp", "ldap", "dns", "tls", "icmp", "tcp", "udp",
  "response.status >= 500", "request.method == \"POST\"", "request.path.startsWith(\"/api\")",
  "elapsedTime > 100", "src.ip == \"\"", "dst.port == 443", "has(error)", "request.command == \"GET\"",
];

function fieldPath(base: string, key: string | number): string {
  if (typeof key === "number") return `${base}[${key}]`;
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${base}.${key}` : `${base}[${JSON.stringify(key)}]`;
}

// A JSON value as a tree whose scalars can be clicked into the query.
function JsonTree(props: { value: unknown; path: string; onPick: (path: string, v: unknown) => void }) {
  const { value, path, onPick } = props;
  if (value !== null && typeof value === "object") {
    const items = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
    return (
      <ul className="tree">
        {items.map(([k, v]) => (
          <li key={String(k)}>
            <span className="key">{String(k)}</span>: <JsonTree value={v} path={fieldPath(path, k)} onPick={onPick} />
          </li>
        ))}
      </ul>
    );
  }
  return (
    <button className="val" title={`add ${path} to the filter`} data-path={path} onClick={() => onPick(path, value)}>
      {JSON.stringify(value)}
    </button>
  );
}

function Detail(props: { entry: Entry; onClose: () => void; onPick: (path: string, v: unknown) => void }) {
  const e = props.entry;
  return (
    <aside className="detail" data-testid="detail">
      <div className="detail-head">
        <strong>
          #{e.id} {e.protocol.abbr} {summary(e)}
        </strong>
        <a href={`api/entries/${e.id}/pcap`} download>
          Download pcap
        </a>
        <button onClick={props.onClose}>Close</button>
      </div>
      <dl>
        <dt>connection</dt>
        <dd>
          {endpoint(e.src)} → {endpoint(e.dst)} · stream {e.stream} · {e.protocol.layer4}
          {e.tls ? " · TLS" : ""}
        </dd>
        <dt>time</dt>
        <dd>
          {new Date(e.timestamp).toISOString()} · {e.elapsedTime} ms · {e.requestSize} B → {e.responseSize} B
        </dd>
        {e.error && (
          <>
            <dt>error</dt>
            <dd className="st bad">{e.error}</dd>
          </>
        )}
      </dl>
      <div className="sides">
        <section>
          <h3>Request</h3>
          <JsonTree value={e.request} path="request" onPick={props.onPick} />
          <details>
            <summary>JSON</summary>
            <pre data-testid="request">{JSON.stringify(e.request, null, 2)}</pre>
          </details>
        </section>
        <section>
          <h3>Response</h3>
          {e.response ? <JsonTree value={e.response} path="response" onPick={props.onPick} /> : "(none)"}
          <details>
            <summary>JSON</summary>
            <pre data-testid="response">{e.response ? JSON.stringify(e.response, null, 2) : "(none)"}</pre>
          </details>
        </section>
      </div>
    </aside>
  );
}
