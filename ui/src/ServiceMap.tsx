// Who talks to whom, from the entries in view: clients on the left, services on
// the right; an edge per pair, weighted by calls, coloured by protocol and
// labelled with calls, error rate and p50/p95 latency. Nodes are endpoints
// (client host, service host:port), hosts, workloads (the default when the
// entries carry Kubernetes identity), or namespaces. Clicking an edge filters
// the stream to it.
import { useMemo, useState } from "react";
import type { Endpoint, Entry } from "./api";
import { NameBook, endpointLabel, hasIdentity, hostLabel, namespaceLabel, workloadLabel } from "./names";
import { isFlow, percentile } from "./series";
import { isError } from "./summary";

export type Grouping = "endpoint" | "host" | "workload" | "namespace";

interface Edge {
  client: string;
  service: string;
  protocol: string;
  calls: number;
  errors: number;
  p50: number;
  p95: number;
  query: string;
}

function nodeOf(ep: Endpoint, side: "client" | "service", grouping: Grouping, book: NameBook): string {
  if (grouping === "namespace") return namespaceLabel(ep, book);
  if (grouping === "workload") return workloadLabel(ep, book);
  if (grouping === "host" || side === "client") return hostLabel(ep, book);
  return endpointLabel(ep, book);
}

// The KFL that selects a group's side: its addresses (or its namespace or
// workload). Names another cluster lent (names.ts acrossClusters) are not in
// the entry: those sides are selected by address.
function sideQuery(side: "src" | "dst", eps: Endpoint[], grouping: Grouping): string {
  const own = eps.filter((e) => !e.borrowed);
  const lent = eps.filter((e) => e.borrowed);
  const parts = [];
  if (own.length) parts.push(ownQuery(side, own, grouping));
  if (lent.length) parts.push(ipQuery(side, lent, grouping === "endpoint" && side === "dst"));
  return parts.length === 1 ? parts[0] : `(${parts.join(" or ")})`;
}

function ownQuery(side: "src" | "dst", eps: Endpoint[], grouping: Grouping): string {
  const ep = eps[0];
  const cluster = ep.cluster ? `cluster.name == ${JSON.stringify(ep.cluster)} and ` : "";
  if (grouping === "namespace" && ep.namespace) return `${cluster}${side}.namespace == ${JSON.stringify(ep.namespace)}`;
  if (grouping === "workload" && ep.workload) {
    const ns = ep.namespace ? `${side}.namespace == ${JSON.stringify(ep.namespace)} and ` : "";
    return `${cluster}${ns}${side}.workload.name == ${JSON.stringify(ep.workload.name)}`;
  }
  return ipQuery(side, eps, grouping === "endpoint" && side === "dst");
}

function ipQuery(side: "src" | "dst", eps: Endpoint[], withPort: boolean): string {
  const ips = [...new Set(eps.map((e) => e.ip))].sort();
  const ip = ips.length === 1 ? `${side}.ip == "${ips[0]}"` : `${side}.ip in [${ips.map((i) => `"${i}"`).join(", ")}]`;
  return withPort ? `${ip} and ${side}.port == ${eps[0].port}` : ip;
}

// A call between two captured clusters is seen by both: the view of the
// client's cluster counts it, the server's twin (same connection, captured
// where the client's names were borrowed) does not.
function twinsOf(rows: Entry[]): Set<Entry> {
  const connection = (e: Entry) => `${e.protocol.name} ${e.src.ip} ${e.src.port} ${e.dst.ip} ${e.dst.port}`;
  const seenBy = new Map<string, Set<string>>();
  for (const e of rows) {
    if (!e.cluster?.name) continue;
    const k = connection(e);
    seenBy.set(k, (seenBy.get(k) ?? new Set()).add(e.cluster.name));
  }
  const twins = new Set<Entry>();
  for (const e of rows)
    if (e.src.borrowed && e.src.cluster && seenBy.get(connection(e))?.has(e.src.cluster)) twins.add(e);
  return twins;
}

export function edgesOf(rows: Entry[], grouping: Grouping = "endpoint", book: NameBook = new Map()): Edge[] {
  type Group = { client: string; service: string; srcs: Endpoint[]; dsts: Endpoint[]; calls: number; errors: number;
                 latencies: number[]; protocols: Map<string, number> };
  const byPair = new Map<string, Group>();
  const twins = twinsOf(rows);
  for (const e of rows) {
    if (isFlow(e) || twins.has(e)) continue; // flows, not calls; each call once
    const client = nodeOf(e.src, "client", grouping, book);
    const service = nodeOf(e.dst, "service", grouping, book);
    const key = `${client}\u0000${service}`;
    let g = byPair.get(key);
    if (!g) byPair.set(key, (g = { client, service, srcs: [], dsts: [], calls: 0, errors: 0, latencies: [], protocols: new Map() }));
    g.calls++;
    const same = (a: Endpoint, b: Endpoint) => a.ip === b.ip && a.borrowed === b.borrowed;
    if (g.srcs.length < 64 && !g.srcs.some((s) => same(s, e.src))) g.srcs.push(e.src);
    if (g.dsts.length < 64 && !g.dsts.some((d) => same(d, e.dst))) g.dsts.push(e.dst);
    if (isError(e)) g.errors++;
    if (e.response) g.latencies.push(e.elapsedTime);
    g.protocols.set(e.protocol.abbr, (g.protocols.get(e.protocol.abbr) ?? 0) + 1);
  }
  return [...byPair.values()].map((g) => {
    const sorted = g.latencies.sort((a, b) => a - b);
    const protocol = [...g.protocols.entries()].sort((a, b) => b[1] - a[1])[0][0];
    return {
      client: g.client,
      service: g.service,
      protocol,
      calls: g.calls,
      errors: g.errors,
      p50: percentile(sorted, 50),
      p95: percentile(sorted, 95),
      query: `${sideQuery("src", g.srcs, grouping)} and ${sideQuery("dst", g.dsts, grouping)} and not (tcp or udp or sctp)`,
    };
  });
}

const GROUPINGS: [Grouping, string][] = [
  ["endpoint", "endpoint"], ["host", "host"], ["workload", "workload"], ["namespace", "namespace"],
];

export function ServiceMap(props: { rows: Entry[]; names: NameBook; onFilter: (q: string) => void }) {
  // Until one is chosen: by workload when the worker names pods, else by endpoint.
  const [chosen, setGrouping] = useState<Grouping | null>(null);
  const named = useMemo(() => hasIdentity(props.rows), [props.rows]);
  const grouping: Grouping = chosen ?? (named ? "workload" : "endpoint");
  const edges = useMemo(() => edgesOf(props.rows, grouping, props.names), [props.rows, grouping, props.names]);
  const clients = [...new Set(edges.map((e) => e.client))].sort();
  const services = [...new Set(edges.map((e) => e.service))].sort();
  const rowGap = 56;
  const height = Math.max(clients.length, services.length) * rowGap + 60;
  const y = (list: string[], name: string) => 40 + list.indexOf(name) * rowGap;
  const maxCalls = Math.max(1, ...edges.map((e) => e.calls));
  return (
    <div className="map-view">
      <div className="toolbar" role="group" aria-label="group the map by">
        group by
        {GROUPINGS.map(([g, label]) => (
          <button key={g} className={grouping === g ? "active" : ""} onClick={() => setGrouping(g)}>{label}</button>
        ))}
      </div>
      {!edges.length ? (
        <p className="empty">No calls in view: the map is drawn from the entries the filter shows.</p>
      ) : (
        <svg className="map" width="100%" viewBox={`0 0 1000 ${height}`} data-testid="service-map" data-grouping={grouping}>
          {edges.map((e) => {
            const y1 = y(clients, e.client), y2 = y(services, e.service);
            const label = `${e.protocol} ${e.calls} calls · ${Math.round((100 * e.errors) / e.calls)}% errors · p50 ${e.p50} ms · p95 ${e.p95} ms`;
            return (
              <g key={e.client + "\u0000" + e.service} className="edge" data-testid="map-edge" onClick={() => props.onFilter(e.query)}>
                <line x1={230} y1={y1} x2={740} y2={y2} className={`p-line-${e.protocol.replace(/[^A-Za-z0-9]/g, "")}`}
                      strokeWidth={1 + (6 * e.calls) / maxCalls} />
                {/* Near the service: one service per row keeps labels apart. */}
                <text x={732} y={y2 - 8} textAnchor="end">{label}</text>
                <title>{`${e.client} → ${e.service}: click to filter the stream`}</title>
              </g>
            );
          })}
          {clients.map((c) => (
            <g key={c} data-testid="map-node" data-side="client">
              <rect x={20} y={y(clients, c) - 14} width={210} height={28} rx={6} className="node" />
              <text x={125} y={y(clients, c) + 4} textAnchor="middle">{c}</text>
            </g>
          ))}
          {services.map((s) => (
            <g key={s} data-testid="map-node" data-side="service">
              <rect x={740} y={y(services, s) - 14} width={240} height={28} rx={6} className="node service" />
              <text x={860} y={y(services, s) + 4} textAnchor="middle">{s}</text>
            </g>
          ))}
        </svg>
      )}
    </div>
  );
}
