// A namespace and workload selector, shown when the worker names pods: the
// namespaces and workloads of the entries in view, either end; choosing one
// filters to the calls from or to it.
import { useMemo, useState } from "react";
import type { Entry } from "./api";
import { hasIdentity } from "./names";

export interface Scopes {
  namespaces: string[];
  workloads: Map<string, string[]>; // namespace -> its workloads' names
}

export function scopesOf(rows: Entry[]): Scopes {
  const workloads = new Map<string, Set<string>>();
  for (const e of rows)
    for (const ep of [e.src, e.dst]) {
      if (!ep.namespace) continue;
      if (!workloads.has(ep.namespace)) workloads.set(ep.namespace, new Set());
      if (ep.workload) workloads.get(ep.namespace)!.add(ep.workload.name);
    }
  return {
    namespaces: [...workloads.keys()].sort(),
    workloads: new Map([...workloads].map(([ns, w]) => [ns, [...w].sort()])),
  };
}

// The KFL for a namespace, or a workload in it, at either end.
export function scopeQuery(namespace: string, workload: string): string {
  const ns = JSON.stringify(namespace);
  if (!workload) return `src.namespace == ${ns} or dst.namespace == ${ns}`;
  const w = JSON.stringify(workload);
  return `(src.namespace == ${ns} and src.workload.name == ${w}) or ` +
    `(dst.namespace == ${ns} and dst.workload.name == ${w})`;
}

export function Scope(props: { rows: Entry[]; onFilter: (q: string) => void }) {
  const [namespace, setNamespace] = useState("");
  const [workload, setWorkload] = useState("");
  const named = useMemo(() => hasIdentity(props.rows), [props.rows]);
  const scopes = useMemo(() => scopesOf(props.rows), [props.rows]);
  if (!named && !namespace) return null;
  const choose = (ns: string, w: string) => {
    setNamespace(ns);
    setWorkload(w);
    props.onFilter(ns ? scopeQuery(ns, w) : "");
  };
  const namespaces = namespace && !scopes.namespaces.includes(namespace)
    ? [namespace, ...scopes.namespaces] : scopes.namespaces;
  return (
    <span className="scope">
      <select aria-label="namespace" data-testid="scope-namespace" value={namespace}
              onChange={(ev) => choose(ev.target.value, "")}>
        <option value="">all namespaces</option>
        {namespaces.map((ns) => <option key={ns} value={ns}>{ns}</option>)}
      </select>
      {namespace && (
        <select aria-label="workload" data-testid="scope-workload" value={workload}
                onChange={(ev) => choose(namespace, ev.target.value)}>
          <option value="">all workloads</option>
          {(scopes.workloads.get(namespace) ?? []).map((w) => <option key={w} value={w}>{w}</option>)}
        </select>
      )}
    </span>
  );
}
