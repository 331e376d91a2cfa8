// The dashboard: a filter bar, the live stream of entries, and the detail of
// the entry selected. The query lives in the URL (?q=) so a view can be shared.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Entry, NeedsToken, QueryError, fetchEntries, openStream, setToken, validate } from "./api";
import { fieldsOf } from "./complete";
import { Detail } from "./Detail";
import { FilterBar } from "./FilterBar";
import { initialShowFlows, streamQuery, wantsFlows } from "./flows";
import { NameBook, acrossClusters, endpointLabel, learnNames } from "./names";
import { Overview } from "./Overview";
import { Scope } from "./Scope";
import { ServiceMap } from "./ServiceMap";
import { status, summary } from "./summary";

type View = "stream" | "map" | "overview";

type Theme = "auto" | "light" | "dark";

const ROW_HEIGHT = 28;
// Rows kept in memory; older ones leave it (they stay in the worker's store).
// Set by ?cap= or the selector in the header (remembered).
const CAPS = [5000, 20000, 50000, 100000];

function initialQuery(): string {
  return new URLSearchParams(window.location.search).get("q") ?? "";
}

function initialCap(): number {
  const asked = Number(new URLSearchParams(window.location.search).get("cap") ?? localStorage.getItem("trawl.cap"));
  return asked >= 10 && asked <= 1000000 ? Math.floor(asked) : 20000;
}

function useTheme(): [Theme, () => void] {
  const [theme, setTheme] = useState<Theme>(() => (localStorage.getItem("trawl.theme") as Theme) ?? "auto");
  useEffect(() => {
    if (theme === "auto") delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = theme;
    localStorage.setItem("trawl.theme", theme);
  }, [theme]);
  const next = () => setTheme((t) => (t === "auto" ? "light" : t === "light" ? "dark" : "auto"));
  return [theme, next];
}

export function App() {
  const [draft, setDraft] = useState(initialQuery);
  const [query, setQuery] = useState(initialQuery);
  const [showFlows, setShowFlows] = useState(() => initialShowFlows(window.location.search));
  const [queryError, setQueryError] = useState<QueryError | null>(null);
  const [rows, setRows] = useState<Entry[]>([]);
  const [selected, setSelected] = useState<Entry | null>(null);
  const [streamStatus, setStreamStatus] = useState("connecting");
  const [problem, setProblem] = useState<string | null>(null);
  const [needsToken, setNeedsToken] = useState(false);
  const [attempt, setAttempt] = useState(0);  // a new token: load everything again
  const [paused, setPaused] = useState(false);
  const [view, setView] = useState<View>("stream");
  const [newCount, setNewCount] = useState(0);
  const [toTop, setToTop] = useState(0);
  const awayRef = useRef(false);
  const [history, setHistory] = useState<string[]>(() => JSON.parse(localStorage.getItem("trawl.history") ?? "[]"));
  const [cap, setCap] = useState(initialCap);
  const capRef = useRef(cap);
  capRef.current = cap;
  const [theme, nextTheme] = useTheme();
  const pending = useRef<Entry[]>([]);
  const pausedRef = useRef(paused);
  pausedRef.current = paused;
  // Names learned stay when the query changes (a filtered view may hold no DNS).
  const book = useRef<NameBook>(new Map());
  const names = useMemo(() => {
    const learned = learnNames(rows);
    if ([...learned].every(([ip, name]) => book.current.get(ip) === name)) return book.current;
    const merged = new Map([...book.current, ...learned]);
    book.current = merged.size > 10000 ? new Map([...merged].slice(-10000)) : merged;
    return book.current;
  }, [rows]);
  const fields = useMemo(() => fieldsOf(rows), [rows]);
  // The stream and the map read each side with the names its cluster gives.
  const shown = useMemo(() => acrossClusters(rows), [rows]);
  // The detail shows the entry as stored.
  const select = useCallback((e: Entry) => setSelected(rows.find((r) => r.id === e.id) ?? e), [rows]);

  // Validation as you type.
  useEffect(() => {
    let stale = false;
    const t = window.setTimeout(() => {
      validate(draft)
        .then((err) => !stale && setQueryError(err))
        .catch((e: Error) => {
          if (stale) return;
          if (e instanceof NeedsToken) setNeedsToken(true);
          else setProblem(`cannot reach the worker: ${e.message} (retrying)`);
        });
    }, 150);
    return () => {
      stale = true;
      window.clearTimeout(t);
    };
  }, [draft, attempt]);

  // History first (newest first), then the live stream for the same query.
  useEffect(() => {
    let active = true;
    setRows([]);
    setSelected(null);
    pending.current = [];
    const url = new URL(window.location.href);
    if (query) url.searchParams.set("q", query);
    else url.searchParams.delete("q");
    if (showFlows) url.searchParams.set("flows", "1");
    else url.searchParams.delete("flows");
    window.history.replaceState(null, "", url);
    const asked = streamQuery(query, showFlows);
    // History is read once the stream has acknowledged the query (its entries
    // flow from then on), so nothing stored in between is missed; the two
    // overlap and are told apart by id. A stream that fails, or does not
    // answer within two seconds, does not hold the history back.
    const fetchHistory = () =>
      fetchEntries(asked, Math.min(500, capRef.current))
        .then(({ entries, partial }) => {
          if (!active) return;
          setNeedsToken(false);
          setProblem(partial ? `history is partial: ${partial}` : null);
          setRows((live) => {
            const seen = new Set(live.map((e) => e.id));
            return [...live, ...entries.filter((e) => !seen.has(e.id))].slice(0, capRef.current);
          });
        })
        .catch((e: Error) => {
          if (!active) return;
          if (e instanceof NeedsToken) setNeedsToken(true);
          else setProblem(`cannot load entries: ${e.message} (retrying with the stream)`);
        });
    let historyAsked = false;
    let historyFallback: number | undefined = undefined;
    const readHistory = () => {
      if (historyAsked || !active) return;
      historyAsked = true;
      window.clearTimeout(historyFallback);
      fetchHistory();
    };
    historyFallback = window.setTimeout(readHistory, 2000);
    const close = openStream(
      asked,
      (e) => {
        pending.current.push(e);
      },
      (s) => {
        if (!active) return;
        setStreamStatus(s);
        // Said plainly above the last rows, which stay; cleared once it is back.
        if (s === "live") setProblem(null);
        else if (s.startsWith("stream disconnected")) setProblem("lost the connection to the worker: retrying every second");
        readHistory(); // the stream answered, or failed
      },
    );
    // Entries arriving are added in batches, a few times a second.
    const flush = window.setInterval(() => {
      // Held while paused or scrolled away from the top: the reader's place stays put.
      const max = capRef.current;
      if (pending.current.length > max) pending.current = pending.current.slice(-max);
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
        return [...batch.filter((e) => !seen.has(e.id)), ...old].slice(0, max);
      });
    }, 250);
    return () => {
      active = false;
      close();
      window.clearInterval(flush);
      window.clearTimeout(historyFallback);
    };
  }, [query, showFlows, attempt]);

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
  // The namespace and workload selector filters whatever view is shown.
  const scopeTo = useCallback((q: string) => {
    setDraft(q);
    setQuery(q);
  }, []);

  return (
    <div className="app">
      <header>
        <span className="brand">trawl</span>
        <FilterBar draft={draft} setDraft={setDraft} error={queryError} history={history} fields={fields} onApply={apply} />
        <Scope rows={rows} onFilter={scopeTo} />
        <nav>
          {(["stream", "map", "overview"] as View[]).map((v) => (
            <button key={v} className={view === v ? "active" : ""} onClick={() => setView(v)}>
              {v === "stream" ? "Stream" : v === "map" ? "Service map" : "Overview"}
            </button>
          ))}
        </nav>
        <button onClick={() => setPaused((p) => !p)}>{paused ? "Resume" : "Pause"}</button>
        <button data-testid="flows-toggle" aria-pressed={showFlows || wantsFlows(query)} disabled={wantsFlows(query)}
                title="TCP, UDP and SCTP flow entries (one per connection) beside the API calls"
                onClick={() => setShowFlows((f) => !f)}>
          {showFlows || wantsFlows(query) ? "L4 flows shown" : "L4 flows hidden"}
        </button>
        {newCount > 0 && (
          <button className="new" data-testid="new-entries" onClick={() => { setPaused(false); setToTop((n) => n + 1); }}>
            {newCount} new ↑
          </button>
        )}
        <select aria-label="rows kept" value={cap} title="rows kept in memory (older ones stay in the store)"
                onChange={(e) => { const c = Number(e.target.value); localStorage.setItem("trawl.cap", String(c)); setCap(c); setRows((r) => r.slice(0, c)); }}>
          {[...new Set([...CAPS, cap])].sort((a, b) => a - b).map((c) => (
            <option key={c} value={c}>keep {c.toLocaleString("en")}</option>
          ))}
        </select>
        <button onClick={nextTheme} title="theme: follows the system, light or dark" data-testid="theme">
          theme: {theme}
        </button>
        <span className="status" data-testid="stream-status" data-rows={rows.length}>
          {streamStatus} · {rows.length} entries
        </span>
      </header>
      {needsToken && (
        <form className="problem token" data-testid="token-form"
              onSubmit={(ev) => {
                ev.preventDefault();
                const input = ev.currentTarget.elements.namedItem("token") as HTMLInputElement;
                setToken(input.value.trim());
                setNeedsToken(false);
                setAttempt((n) => n + 1);
              }}>
          This worker needs its token (trawl capture --token, or TRAWL_TOKEN):{" "}
          <input name="token" type="password" autoComplete="off" aria-label="token" />{" "}
          <button type="submit">Use it</button>
        </form>
      )}
      {problem && !needsToken && (
        <div className="problem" role="status">
          {problem}
        </div>
      )}
      <main>
        {view === "stream" && (
          <Stream rows={shown} names={names} selected={selected} onSelect={select} toTop={toTop}
                  onAway={(away) => { awayRef.current = away; }} />
        )}
        {view === "stream" && selected && (
          <Detail entry={selected} names={names} onClose={() => setSelected(null)} onPick={pick} onSelect={setSelected} />
        )}
        {view === "map" && <ServiceMap rows={shown} names={names} onFilter={filterTo} />}
        {view === "overview" && <Overview rows={rows} />}
      </main>
    </div>
  );
}

function size(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : bytes < 1048576 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1048576).toFixed(1)} MiB`;
}

// Only the rows in view are rendered: 20,000 rows stay smooth.
function Stream(props: {
  rows: Entry[];
  names: NameBook;
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
        <span>sizes</span>
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
                {endpointLabel(e.src, props.names)} → {endpointLabel(e.dst, props.names)}
              </span>
              <span>{new Date(e.timestamp).toISOString().slice(11, 23)}</span>
              <span>{e.response ? `${e.elapsedTime} ms` : ""}</span>
              <span className="sizes">{size(e.requestSize)} → {size(e.responseSize)}</span>
            </div>
          );
        })}
      </div>
    </div>
  );
}
