// The protocol mix and capture health from /api/stats (every two seconds), and
// calls per second, error rate and latency percentiles per protocol over time
// from the entries in view.
import { useEffect, useMemo, useState } from "react";
import { type Entry, apiFetch } from "./api";
import { LineChart } from "./Chart";
import { timeSeries } from "./series";

type Stats = Record<string, Record<string, unknown>>;

// A hub's member (a node's worker, or another cluster's hub) as its last question found it.
interface Member {
  name: string;
  url: string;
  up: boolean | null;
  error?: string;
}

// Served by a hub: each node's health; by a worker: nothing.
function Nodes(props: { members: Member[]; missing: string[] }) {
  const up = props.members.filter((m) => m.up).length;
  return (
    <section data-testid="nodes">
      <h3>Nodes <span className="muted">({up} of {props.members.length} answering)</span></h3>
      <table>
        <tbody>
          {props.members.map((m) => {
            const down = m.up === false || props.missing.includes(m.name);
            return (
              <tr key={m.name} data-testid="node-health">
                <td>{m.name}</td>
                <td className={down ? "st bad" : m.up ? "st ok" : "st"}>{down ? "down" : m.up ? "up" : "not asked yet"}</td>
                <td className="muted">{m.error ?? ""}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}

export function Overview(props: { rows: Entry[] }) {
  const [stats, setStats] = useState<Stats | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    let active = true;
    const load = () =>
      apiFetch("api/stats")
        .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`HTTP ${r.status}`))))
        .then((s) => active && (setStats(s), setProblem(null)))
        .catch((e: Error) => active && setProblem(`cannot load /api/stats: ${e.message} (retrying)`));
    load();
    const t = window.setInterval(load, 2000);
    return () => {
      active = false;
      window.clearInterval(t);
    };
  }, []);
  const series = useMemo(() => timeSeries(props.rows), [props.rows]);
  const n = (group: string, key: string) => Number(((stats ?? {})[group] ?? {})[key] ?? 0);
  const byProtocol = (((stats ?? {}).entries ?? {}).by_protocol ?? {}) as Record<string, number>;
  const total = Object.values(byProtocol).reduce((a, b) => a + b, 0) || 1;
  const starts = series.buckets.map((b) => b.start);
  const members = (stats as unknown as { members?: Member[] } | null)?.members;
  const missing = (stats as unknown as { missing?: string[] } | null)?.missing ?? [];
  const shown = series.protocols.slice(0, 5);
  return (
    <div className="overview" data-testid="overview">
      {problem && <div className="problem">{problem}</div>}
      {!stats && !problem && <p className="empty">Loading…</p>}
      {stats && (
        <div className="panels">
          <section>
            <h3>Protocols</h3>
            <table>
              <tbody>
                {Object.entries(byProtocol).sort((a, b) => b[1] - a[1]).map(([p, c]) => (
                  <tr key={p} data-testid="protocol-count">
                    <td><span className={`badge p-${p}`}>{p}</span></td>
                    <td className="num">{c}</td>
                    <td><div className="bar" style={{ width: `${(200 * c) / total}px` }} /></td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
          <section>
            <h3>Capture health</h3>
            <dl>
              <dt>packets</dt><dd>{n("capture", "packets")}</dd>
              <dt>kernel drops</dt><dd className={n("live", "kernel_drops") ? "st bad" : "st ok"}>{n("live", "kernel_drops")}</dd>
              <dt>TCP gaps</dt><dd className={n("loss", "tcp_gaps") ? "st warn" : "st ok"}>{n("loss", "tcp_gaps")} ({n("loss", "tcp_gap_bytes")} bytes)</dd>
              {(stats as Record<string, Record<string, unknown>>).packet_ring?.enabled ? (
                <>
                  <dt>packets kept</dt>
                  <dd data-testid="packets-kept" className={n("packet_ring", "dropped_packets") ? "st warn" : ""}>
                    {n("packet_ring", "kept_packets")} ({n("packet_ring", "dropped_packets")} not kept: disk behind)
                  </dd>
                </>
              ) : null}
              <dt>stream skipped</dt><dd>{n("stream", "skipped")}</dd>
              <dt>store</dt><dd>{n("store", "entries")} entries · {(n("store", "bytes") / 1e6).toFixed(1)} MB</dd>
              <dt>uptime</dt><dd>{String((stats as Record<string, unknown>).uptimeSeconds ?? 0)} s</dd>
            </dl>
          </section>
          {members && <Nodes members={members} missing={missing} />}
        </div>
      )}
      <section className="over-time">
        <h3>Over time <span className="muted">({props.rows.length} entries in view)</span></h3>
        {series.buckets.length === 0 ? (
          <p className="empty">No calls in view.</p>
        ) : (
          <>
            <LineChart title="Calls" unit="calls/s" starts={starts} width={series.width}
                       lines={[{ name: "calls/s", className: "c-calls", values: series.buckets.map((b) => b.calls / (series.width / 1000)) }]} />
            <LineChart title="Error rate" unit="%" starts={starts} width={series.width}
                       lines={[{ name: "errors", className: "c-errors",
                                 values: series.buckets.map((b) => (b.calls ? (100 * b.errors) / b.calls : 0)) }]} />
            {(["p50", "p95"] as const).map((q) => (
              <LineChart key={q} title={`Latency ${q}`} unit="ms" starts={starts} width={series.width}
                         lines={shown.map((p) => ({ name: p, className: `l-${p.replace(/[^A-Za-z0-9]/g, "")}`, values: series.buckets.map((b) => b.latency[p]?.[q] ?? null) }))} />
            ))}
          </>
        )}
      </section>
    </div>
  );
}
