// Who talks to whom, from the entries in view: clients on the left, services
// (address and port) on the right; an edge per pair, weighted by calls and
// labelled with calls, error rate and p50/p95 latency. Clicking an edge filters
// the stream to it.
import { useMemo } from "react";
import type { Entry } from "./api";
import { endpoint, status } from "./summary";

export interface Edge {
  client: string;
  service: string;
  protocol: string;
  calls: number;
  errors: number;
  p50: number;
  p95: number;
  query: string;
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function edgesOf(rows: Entry[]): Edge[] {
  const byPair = new Map<string, { e: Entry; calls: number; errors: number; latencies: number[]; protocols: Map<string, number> }>();
  for (const e of rows) {
    if (["tcp", "udp", "sctp"].includes(e.protocol.name)) continue;  // flows, not calls
    const key = `${e.src.ip}|${endpoint(e.dst)}`;
    let g = byPair.get(key);
    if (!g) byPair.set(key, (g = { e, calls: 0, errors: 0, latencies: [], protocols: new Map() }));
    g.calls++;
    const st = status(e);
    if (st.kind === "bad" || st.kind === "warn") g.errors++;
    if (e.response) g.latencies.push(e.elapsedTime);
    g.protocols.set(e.protocol.abbr, (g.protocols.get(e.protocol.abbr) ?? 0) + 1);
  }
  return [...byPair.values()].map((g) => {
    const sorted = g.latencies.sort((a, b) => a - b);
    const protocol = [...g.protocols.entries()].sort((a, b) => b[1] - a[1])[0][0];
    return {
      client: g.e.src.ip,
      service: endpoint(g.e.dst),
      protocol,
      calls: g.calls,
      errors: g.errors,
      p50: percentile(sorted, 50),
      p95: percentile(sorted, 95),
      query: `src.ip == "${g.e.src.ip}" and dst.ip == "${g.e.dst.ip}" and dst.port == ${g.e.dst.port}` +
        " and not (tcp or udp or sctp)",
    };
  });
}

export function ServiceMap(props: { rows: Entry[]; onFilter: (q: string) => void }) {
  const edges = useMemo(() => edgesOf(props.rows), [props.rows]);
  const clients = [...new Set(edges.map((e) => e.client))].sort();
  const services = [...new Set(edges.map((e) => e.service))].sort();
  const rowGap = 56;
  const height = Math.max(clients.length, services.length) * rowGap + 60;
  const y = (list: string[], name: string) => 40 + list.indexOf(name) * rowGap;
  const maxCalls = Math.max(1, ...edges.map((e) => e.calls));
  if (!edges.length) return <p className="empty">No calls in view: the map is drawn from the entries the filter shows.</p>;
  return (
    <svg className="map" width="100%" viewBox={`0 0 1000 ${height}`} data-testid="service-map">
      {edges.map((e) => {
        const y1 = y(clients, e.client), y2 = y(services, e.service);
        const label = `${e.protocol} ${e.calls} calls · ${Math.round((100 * e.errors) / e.calls)}% errors · p50 ${e.p50} ms · p95 ${e.p95} ms`;
        return (
          <g key={e.client + e.service} className="edge" data-testid="map-edge" onClick={() => props.onFilter(e.query)}>
            <line x1={230} y1={y1} x2={740} y2={y2} className={`p-line-${e.protocol}`}
                  strokeWidth={1 + (6 * e.calls) / maxCalls} />
            {/* Near the service: one service per row keeps labels apart. */}
            <text x={732} y={y2 - 8} textAnchor="end">{label}</text>
          </g>
        );
      })}
      {clients.map((c) => (
        <g key={c} data-testid="map-node">
          <rect x={20} y={y(clients, c) - 14} width={210} height={28} rx={6} className="node" />
          <text x={125} y={y(clients, c) + 4} textAnchor="middle">{c}</text>
        </g>
      ))}
      {services.map((s) => (
        <g key={s} data-testid="map-node">
          <rect x={740} y={y(services, s) - 14} width={240} height={28} rx={6} className="node service" />
          <text x={860} y={y(services, s) + 4} textAnchor="middle">{s}</text>
        </g>
      ))}
    </svg>
  );
}
