// The entry selected: connection, timing and sizes, loss markers, the other
// entries on its connection, and request and response (side by side or
// stacked) as headers, query string, cookies, a body pretty-printed by type,
// and every field as a tree whose values, clicked, go into the filter.
import { useEffect, useState } from "react";
import { Endpoint, Entry, downloadPcap, fetchEntries, token } from "./api";
import { BodyView, bodyView, cookies, queryPairs } from "./body";
import { fieldPath } from "./complete";
import { NameBook, endpointLabel } from "./names";
import { summary } from "./summary";

type Pick = (path: string, v: unknown) => void;

// A JSON value as a tree whose scalars can be clicked into the query.
function JsonTree(props: { value: unknown; path: string; onPick: Pick }) {
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

// What the worker knows of one end: Kubernetes identity and the DNS name,
// each value clickable into the query.
function Identity(props: { side: "src" | "dst"; ep: Endpoint; onPick: Pick }) {
  const { side, ep, onPick } = props;
  const val = (path: string, v: string) => (
    <button className="val" data-path={path} title={`add ${path} to the filter`} onClick={() => onPick(path, v)}>{v}</button>
  );
  if (!ep.kind && !ep.name && !ep.dns) return null;
  return (
    <>
      <dt>{side === "src" ? "source" : "destination"}</dt>
      <dd data-testid={`identity-${side}`}>
        {ep.kind && <>{val(`${side}.kind`, ep.kind)} </>}
        {ep.namespace && <>{val(`${side}.namespace`, ep.namespace)} / </>}
        {ep.name && val(`${side}.name`, ep.name)}
        {ep.workload && <> · {ep.workload.kind} {val(`${side}.workload.name`, ep.workload.name)}</>}
        {ep.services?.length ? <> · service {ep.services.join(", ")}</> : null}
        {ep.dns && <> · dns {val(`${side}.dns`, ep.dns)}</>}
        {ep.labels && Object.keys(ep.labels).length > 0 && (
          <div className="labels">
            {Object.entries(ep.labels).map(([k, v]) => (
              <span key={k} className="label">{k}={val(fieldPath(`${side}.labels`, k), v)} </span>
            ))}
          </div>
        )}
      </dd>
    </>
  );
}

function Pairs(props: { title: string; testId: string; pairs: [string, string][]; path?: (k: string) => string; onPick: Pick }) {
  if (!props.pairs.length) return null;
  return (
    <>
      <h4>{props.title}</h4>
      <table className="pairs" data-testid={props.testId}>
        <tbody>
          {props.pairs.map(([k, v], i) => (
            <tr key={`${k}-${i}`}>
              <th>{k}</th>
              <td>
                {props.path ? (
                  <button className="val" data-path={props.path(k)} onClick={() => props.onPick(props.path!(k), v)}>{v}</button>
                ) : (
                  v
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

const KIND_LABEL: Record<BodyView["kind"], string> = {
  json: "JSON", form: "form", xml: "XML/HTML", text: "text", protobuf: "protobuf, decoded", hex: "binary, hex",
};

function Body(props: { view: BodyView; side: string }) {
  const v = props.view;
  return (
    <>
      <h4>
        Body <span className="muted">({KIND_LABEL[v.kind]}{v.size !== undefined ? `, ${v.size} B` : ""}
        {v.truncated ? ", truncated" : ""})</span>
      </h4>
      {v.kind === "form" ? (
        <table className="pairs" data-testid={`${props.side}-body`} data-kind="form">
          <tbody>
            {v.pairs!.map(([k, val], i) => (
              <tr key={`${k}-${i}`}><th>{k}</th><td>{val}</td></tr>
            ))}
          </tbody>
        </table>
      ) : (
        <pre className="body" data-testid={`${props.side}-body`} data-kind={v.kind}>{v.text}</pre>
      )}
    </>
  );
}

function Side(props: { side: "request" | "response"; msg: Record<string, unknown> | undefined; onPick: Pick }) {
  const { side, msg, onPick } = props;
  if (!msg) return <section><h3>{side === "request" ? "Request" : "Response"}</h3>(none)</section>;
  const headers = msg.headers && typeof msg.headers === "object"
    ? Object.entries(msg.headers as Record<string, unknown>).map(([k, v]) => [k, String(v)] as [string, string]) : [];
  const body = bodyView(msg);
  return (
    <section data-testid={`${side}-side`}>
      <h3>{side === "request" ? "Request" : "Response"}</h3>
      <Pairs title="Headers" testId={`${side}-headers`} pairs={headers} onPick={onPick}
             path={(k) => fieldPath(`${side}.headers`, k)} />
      {side === "request" && (
        <Pairs title="Query string" testId="request-query" pairs={queryPairs(msg)} onPick={onPick} />
      )}
      <Pairs title="Cookies" testId={`${side}-cookies`} pairs={cookies(msg, side)} onPick={onPick} />
      {body && <Body view={body} side={side} />}
      <h4>Fields</h4>
      <JsonTree value={msg} path={side} onPick={onPick} />
      <details>
        <summary>JSON</summary>
        <pre data-testid={side}>{JSON.stringify(msg, null, 2)}</pre>
      </details>
    </section>
  );
}

export function Detail(props: {
  entry: Entry;
  names: NameBook;
  onClose: () => void;
  onPick: Pick;
  onSelect: (e: Entry) => void;
}) {
  const e = props.entry;
  const [stacked, setStacked] = useState(() => localStorage.getItem("trawl.stacked") === "1");
  const [related, setRelated] = useState<Entry[] | null>(null);
  useEffect(() => {
    let active = true;
    setRelated(null);
    fetchEntries(`stream == ${JSON.stringify(e.stream)}`, 50)
      .then((r) => active && setRelated(r.entries))
      .catch(() => active && setRelated([]));
    return () => {
      active = false;
    };
  }, [e.stream]);
  return (
    <aside className="detail" data-testid="detail">
      <div className="detail-head">
        <strong>
          #{e.id} {e.protocol.abbr} {summary(e)}
        </strong>
        <a href={`api/entries/${e.id}/pcap`} download
           onClick={(ev) => {
             if (!token()) return;  // a plain link, unless the worker needs the token
             ev.preventDefault();
             downloadPcap(e.id).catch((err: Error) => alert(`pcap: ${err.message}`));
           }}>
          Download pcap
        </a>
        <button onClick={() => { localStorage.setItem("trawl.stacked", stacked ? "0" : "1"); setStacked(!stacked); }}>
          {stacked ? "Side by side" : "Stacked"}
        </button>
        <button onClick={props.onClose}>Close</button>
      </div>
      <dl>
        <dt>connection</dt>
        <dd>
          {endpointLabel(e.src, props.names)} → {endpointLabel(e.dst, props.names)} · stream {e.stream} · {e.protocol.layer4}
          {e.tls ? " · TLS (captured as plaintext)" : ""}
          <div className="muted">{e.src.ip}:{e.src.port} → {e.dst.ip}:{e.dst.port}
            {e.src.process ? ` · ${e.src.process}${e.src.pid ? ` (${e.src.pid})` : ""}` : ""}</div>
        </dd>
        <Identity side="src" ep={e.src} onPick={props.onPick} />
        <Identity side="dst" ep={e.dst} onPick={props.onPick} />
        {e.node && (
          <>
            <dt>node</dt>
            <dd><button className="val" data-path="node.name" onClick={() => props.onPick("node.name", e.node!.name)}>{e.node.name}</button></dd>
          </>
        )}
        <dt>time</dt>
        <dd>
          {new Date(e.timestamp).toISOString()} · {e.elapsedTime} ms
        </dd>
        <dt>sizes</dt>
        <dd>request {e.requestSize} B · response {e.responseSize} B</dd>
        {e.error && (
          <>
            <dt>error</dt>
            <dd className="st bad" data-testid="entry-error">{e.error}</dd>
          </>
        )}
        <dt>on this connection</dt>
        <dd data-testid="related">
          {related === null ? "…" : related.length <= 1 ? "no other entry" : (
            related.filter((r) => r.id !== e.id).map((r) => (
              <button key={r.id} className="val related" onClick={() => props.onSelect(r)}>
                #{r.id} {r.protocol.abbr} {summary(r)}
              </button>
            ))
          )}
        </dd>
      </dl>
      <div className={stacked ? "sides stacked" : "sides"}>
        <Side side="request" msg={e.request} onPick={props.onPick} />
        <Side side="response" msg={e.response} onPick={props.onPick} />
      </div>
    </aside>
  );
}
