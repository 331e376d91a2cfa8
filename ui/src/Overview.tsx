// Capture health and the protocol mix, from /api/stats every two seconds.
import { useEffect, useState } from "react";

type Stats = Record<string, Record<string, unknown>>;

export function Overview() {
  const [stats, setStats] = useState<Stats | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    let active = true;
    const load = () =>
      fetch("api/stats")
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
  if (problem) return <div className="problem">{problem}</div>;
  if (!stats) return <p className="empty">Loading…</p>;
  const n = (group: string, key: string) => Number((stats[group] ?? {})[key] ?? 0);
  const byProtocol = ((stats.entries ?? {}).by_protocol ?? {}) as Record<string, number>;
  const total = Object.values(byProtocol).reduce((a, b) => a + b, 0) || 1;
  return (
    <div className="overview" data-testid="overview">
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
          <dt>stream skipped</dt><dd>{n("stream", "skipped")}</dd>
          <dt>store</dt><dd>{n("store", "entries")} entries · {(n("store", "bytes") / 1e6).toFixed(1)} MB</dd>
          <dt>uptime</dt><dd>{String(stats.uptimeSeconds ?? 0)} s</dd>
        </dl>
      </section>
    </div>
  );
}
