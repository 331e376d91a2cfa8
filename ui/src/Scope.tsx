// A namespace and workload selector, shown when the worker names pods: the
// namespaces and workloads of the entries in view, either end; choosing one
// filters to the calls from or to it. When the view spans clusters, a
// namespace is one cluster's: "default" in two clusters is two choices, as
// they are two namespaces.
import { useMemo, useState } from "react";
import type { Entry } from "./api";
import { hasIdentity } from "./names";

export interface NamespaceScope {
  value: string;  // the option's value: the namespace, or [cluster, namespace] as JSON
  label: string;
  cluster: string;  // "" when the view is of one cluster
  namespace: string;
}

export interface Scopes {
  namespaces: NamespaceScope[];
  workloads: Map<string, string[]>; // a namespace's value -> its workloads' names
}

export function scopesOf(rows: Entry[]): Scopes {
  const clusters = new Set(rows.map((e) => e.cluster?.name ?? ""));
  const spans = clusters.size > 1;
  const scopes = new Map<string, NamespaceScope>();
  const workloads = new Map<string, Set<string>>();
  for (const e of rows)
    for (const ep of [e.src, e.dst]) {
      if (!ep.namespace) continue;
      // An entry's names are those of the cluster it was captured in.
      const cluster = spans ? e.cluster?.name ?? "" : "";
      const value = spans ? JSON.stringify([cluster, ep.namespace]) : ep.namespace;
      if (!scopes.has(value)) {
        const label = spans ? `${cluster || "(no cluster)"} / ${ep.namespace}` : ep.namespace;
        scopes.set(value, { value, label, cluster, namespace: ep.namespace });
        workloads.set(value, new Set());
      }
      if (ep.workload) workloads.get(value)!.add(ep.workload.name);
    }
  return {
    namespaces: [...scopes.values()].sort((a, b) => a.label.localeCompare(b.label)),
    workloads: new Map([...workloads].map(([v, w]) => [v, [...w].sort()])),
  };
}

// The KFL for a namespace, or a workload in it, at either end; of one
// cluster's entries when a cluster is given.
export function scopeQuery(namespace: string, workload: string, cluster = ""): string {
  const ns = JSON.stringify(namespace);
  let q = `src.namespace == ${ns} or dst.namespace == ${ns}`;
  if (workload) {
    const w = JSON.stringify(workload);
    q = `(src.namespace == ${ns} and src.workload.name == ${w}) or ` +
      `(dst.namespace == ${ns} and dst.workload.name == ${w})`;
  }
  return cluster ? `cluster.name == ${JSON.stringify(cluster)} and (${q})` : q;
}

export function Scope(props: { rows: Entry[]; onFilter: (q: string) => void }) {
  const [chosen, setChosen] = useState<NamespaceScope | null>(null);
  const [workload, setWorkload] = useState("");
  const named = useMemo(() => hasIdentity(props.rows), [props.rows]);
  const scopes = useMemo(() => scopesOf(props.rows), [props.rows]);
  if (!named && !chosen) return null;
  const choose = (scope: NamespaceScope | null, w: string) => {
    setChosen(scope);
    setWorkload(w);
    props.onFilter(scope ? scopeQuery(scope.namespace, w, scope.cluster) : "");
  };
  // The choice stays listed when its entries have left the view.
  const namespaces = chosen && !scopes.namespaces.some((s) => s.value === chosen.value)
    ? [chosen, ...scopes.namespaces] : scopes.namespaces;
  return (
    <span className="scope">
      <select aria-label="namespace" data-testid="scope-namespace" value={chosen?.value ?? ""}
              onChange={(ev) => choose(namespaces.find((s) => s.value === ev.target.value) ?? null, "")}>
        <option value="">all namespaces</option>
        {namespaces.map((s) => <option key={s.value} value={s.value}>{s.label}</option>)}
      </select>
      {chosen && (
        <select aria-label="workload" data-testid="scope-workload" value={workload}
                onChange={(ev) => choose(chosen, ev.target.value)}>
          <option value="">all workloads</option>
          {(scopes.workloads.get(chosen.value) ?? []).map((w) => <option key={w} value={w}>{w}</option>)}
        </select>
      )}
    </span>
  );
}
