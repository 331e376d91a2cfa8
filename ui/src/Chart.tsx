// A small line chart over time buckets: one polyline per series, the largest
// value on the axis, a legend. Series are named by protocol for colours.
interface Line {
  name: string;
  className: string;
  values: (number | null)[]; // null: no data in that bucket (a gap, not a zero)
}

export function LineChart(props: { title: string; unit: string; starts: number[]; width: number; lines: Line[] }) {
  const W = 560, H = 140, left = 48, bottom = 20;
  const n = props.starts.length;
  const max = Math.max(0, ...props.lines.flatMap((l) => l.values.map((v) => v ?? 0)));
  const top = max > 0 ? niceCeil(max) : 1;
  const x = (i: number) => left + (n <= 1 ? 0 : (i * (W - left - 8)) / (n - 1));
  const y = (v: number) => H - bottom - (v / top) * (H - bottom - 8);
  const time = (ms: number) => new Date(ms).toISOString().slice(11, props.width < 1000 ? 23 : props.width < 60000 ? 19 : 16);
  return (
    <figure className="chart" data-testid="chart" data-title={props.title}>
      <figcaption>
        {props.title} <span className="muted">({props.unit}, per {props.width / 1000} s)</span>
        {props.lines.map((l) => (
          <span key={l.name} className={`legend ${l.className}`}>{l.name}</span>
        ))}
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} width={W} height={H}>
        <line x1={left} y1={y(0)} x2={W - 8} y2={y(0)} className="axis" />
        <line x1={left} y1={y(top)} x2={W - 8} y2={y(top)} className="grid" />
        <text x={left - 4} y={y(top) + 4} textAnchor="end">{fmt(top)}</text>
        <text x={left - 4} y={y(0) + 4} textAnchor="end">0</text>
        {n > 0 && <text x={left} y={H - 4}>{time(props.starts[0])}</text>}
        {n > 1 && <text x={W - 8} y={H - 4} textAnchor="end">{time(props.starts[n - 1])}</text>}
        {props.lines.flatMap((l) =>
          runs(l.values).map(([from, vs]) =>
            vs.length === 1 ? (
              <circle key={`${l.name}-${from}`} className={`series ${l.className}`} cx={x(from)} cy={y(vs[0])} r={2} />
            ) : (
              <polyline key={`${l.name}-${from}`} className={`series ${l.className}`} fill="none"
                        points={vs.map((v, i) => `${x(from + i).toFixed(1)},${y(v).toFixed(1)}`).join(" ")} />
            ),
          ),
        )}
      </svg>
    </figure>
  );
}

// Consecutive buckets with data: [index of the first, values].
function runs(values: (number | null)[]): [number, number[]][] {
  const out: [number, number[]][] = [];
  values.forEach((v, i) => {
    if (v === null) return;
    const last = out[out.length - 1];
    if (last && last[0] + last[1].length === i) last[1].push(v);
    else out.push([i, [v]]);
  });
  return out;
}

function niceCeil(v: number): number {
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

function fmt(v: number): string {
  return v >= 100 ? String(Math.round(v)) : String(+v.toPrecision(3));
}
