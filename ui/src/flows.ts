// L4 flow entries (tcp, udp, sctp: one per connection) outnumber the API calls
// on a busy node and say little beside them: the stream shows calls first and
// the flows when asked (?flows=1), or when the query itself names them.
const NAMES_L4 = /\b(tcp|udp|sctp)\b/;
const CALLS_ONLY = "not (tcp or udp or sctp)";

export function wantsFlows(query: string): boolean {
  return NAMES_L4.test(query);
}

// The query the worker is asked: the user's, without L4 flows unless shown.
export function streamQuery(query: string, showFlows: boolean): string {
  if (showFlows || wantsFlows(query)) return query;
  return query.trim() ? `(${query}) and ${CALLS_ONLY}` : CALLS_ONLY;
}

export function initialShowFlows(search: string): boolean {
  return new URLSearchParams(search).get("flows") === "1";
}
