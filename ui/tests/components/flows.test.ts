import { describe, expect, it } from "vitest";
import { initialShowFlows, streamQuery, wantsFlows } from "../../src/flows";

describe("L4 flows in the stream", () => {
  it("are hidden by default, with or without a query", () => {
    expect(streamQuery("", false)).toBe("not (tcp or udp or sctp)");
    expect(streamQuery("http and response.status >= 500", false))
      .toBe("(http and response.status >= 500) and not (tcp or udp or sctp)");
  });
  it("keep limit() and redact() inside the user's part", () => {
    expect(streamQuery("dns or limit(5)", false)).toBe("(dns or limit(5)) and not (tcp or udp or sctp)");
  });
  it("are shown when asked or when the query names them", () => {
    expect(streamQuery("http", true)).toBe("http");
    expect(streamQuery("tcp and src.port == 5432", false)).toBe("tcp and src.port == 5432");
    expect(streamQuery('protocol.name == "udp"', false)).toBe('protocol.name == "udp"');
    expect(wantsFlows("http and request.path.contains(\"tcpdump\")")).toBe(false);
  });
  it("follow the URL", () => {
    expect(initialShowFlows("?q=http&flows=1")).toBe(true);
    expect(initialShowFlows("?q=http")).toBe(false);
  });
});
