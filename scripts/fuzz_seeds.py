#!/usr/bin/env python3
"""Writes fuzz seed corpora from real captures, in each target's input format.

Usage: fuzz_seeds.py OUT_DIR CAPTURE...
  OUT_DIR/pcap_fuzz     the capture files themselves (small ones)
  OUT_DIR/decode_fuzz   frames as [link index][len16][frame]...
  OUT_DIR/<stream targets>  each TCP/UDP flow as stream records
                        [direction][len16][payload]... (see fuzz/stream_harness.h)
  OUT_DIR/flows_fuzz    TCP segments as [flags][seq16][ack16][len8][payload]
  OUT_DIR/icmp_fuzz     ICMP messages as [family][len8][message]
"""
import hashlib
import os
import struct
import sys

# Targets fed with each flow's payload as stream records.
STREAM_TARGETS = ["http1_fuzz", "http2_fuzz", "websocket_fuzz", "grpc_fuzz", "graphql_fuzz", "redis_fuzz", "ldap_fuzz", "kafka_fuzz", "amqp_fuzz",
                  "dns_fuzz", "tls_fuzz"]
LINKS = [1, 113, 276, 12, 0, 108, 9, 51, 104, 228, 229]  # order of fuzz/decode_fuzz.cpp


def frames(path):
    """(linktype, bytes) of every frame of a pcap or pcapng file."""
    data = open(path, "rb").read()
    if data[:4] == b"\x0a\x0d\x0d\x0a":
        links, pos, endian = [], 0, "<"
        while pos + 12 <= len(data):
            btype, blen = struct.unpack_from(endian + "II", data, pos)
            if btype == 0x0A0D0D0A:
                endian = "<" if data[pos + 8:pos + 12] == b"\x4d\x3c\x2b\x1a" else ">"
                btype, blen = struct.unpack_from(endian + "II", data, pos)
                links = []
            if blen < 12:
                return
            body = data[pos + 8:pos + blen - 4]
            if btype == 1:
                links.append(struct.unpack_from(endian + "H", body)[0])
            elif btype == 6 and len(body) >= 20:
                iface, _, _, caplen, _ = struct.unpack_from(endian + "IIIII", body)
                if iface < len(links):
                    yield links[iface], body[20:20 + caplen]
            pos += blen
        return
    magic = data[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    link = struct.unpack_from(endian + "I", data, 20)[0] & 0x0FFFFFFF
    pos = 24
    while pos + 16 <= len(data):
        caplen = struct.unpack_from(endian + "I", data, pos + 8)[0]
        yield link, data[pos + 16:pos + 16 + caplen]
        pos += 16 + caplen


def ip_payload(link, frame):
    """(proto, src, dst, l4 bytes) for IPv4/IPv6 frames, else None."""
    if link == 1:
        off, etype = 14, frame[12:14]
        while etype in (b"\x81\x00", b"\x88\xa8"):
            etype, off = frame[off + 2:off + 4], off + 4
        ip = frame[off:]
    elif link == 113:
        ip = frame[16:]
    elif link == 276:
        ip = frame[20:]
    elif link in (0, 108):
        ip = frame[4:]
    else:
        ip = frame
    if len(ip) >= 20 and ip[0] >> 4 == 4:
        hl = (ip[0] & 15) * 4
        total = struct.unpack_from(">H", ip, 2)[0] or len(ip)
        return ip[9], ip[12:16], ip[16:20], ip[hl:total]
    if len(ip) >= 40 and ip[0] >> 4 == 6:
        return ip[6], ip[8:24], ip[24:40], ip[40:]
    return None


def entry_records():
    """Store records (store/entry_record.cpp) with and without a response and
    context fields."""
    def varint(v):
        out = b""
        while v >= 0x80:
            out += bytes([(v & 0x7F) | 0x80])
            v >>= 7
        return out + bytes([v])

    def text(s):
        return varint(len(s)) + s

    def json(s):
        return struct.pack("<I", len(s)) + s

    def record(n, response, context):
        flags = (2 if response else 0) | (4 if context else 0)
        body = (varint(n) + struct.pack("<Qd", 1795737600123456 + n, 0.25) + varint(120) + varint(80) +
                bytes([flags]) + text(b"http") + text(b"1.1") + text(b"tcp") + text(b"10.0.0.1") +
                varint(40000) + text(b"10.0.0.2") + varint(80) + text(b"3") + text(b"") +
                json(b'{"method":"GET","url":"/"}'))
        if response:
            body += json(b'{"status":200}')
        if context:
            body += varint(len(context))
            for field, value in context:
                body += varint(field) + json(value)
        return struct.pack("<I", len(body)) + body

    context = [(0, b'"front-end"'), (3, b'{"kind":"Deployment","name":"web"}'), (7, b"4242"),
               (15, b'["svc"]'), (20, b'"node-1"'), (99, b'"later"')]
    yield record(1, True, [])
    yield record(2, False, context)
    yield record(3, True, context[:2]) + record(4, True, [(11, b'"default"')])


def main():
    out, captures = sys.argv[1], sys.argv[2:]
    targets = ["pcap_fuzz", "decode_fuzz", "flows_fuzz", "icmp_fuzz", "kafka_body_fuzz", "kfl_fuzz",
               "api_target_fuzz", "api_router_fuzz", "entry_record_fuzz", "kube_watch_fuzz", "kubeconfig_fuzz",
               "hub_merge_fuzz"] + STREAM_TARGETS
    for t in targets:
        os.makedirs(os.path.join(out, t), exist_ok=True)

    def write(target, blob):
        if blob:
            name = hashlib.sha1(blob).hexdigest()
            with open(os.path.join(out, target, name), "wb") as f:
                f.write(blob[:1 << 20])

    for target in (b"/api/entries?q=http%20and%20response.status%20%3E%3D%20500&limit=5&before=9",
                   b"/api/entries/42/pcap", b"/api/validate?q=a+b&x", b"/%e2%82%ac?%=&=%41"):
        write("api_target_fuzz", target)
    for blob in entry_records():
        write("entry_record_fuzz", blob)
    # Watch streams as the API server writes them, one event a line.
    pod = (b'{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-1","namespace":"shop",'
           b'"resourceVersion":"11","labels":{"app":"web"},"ownerReferences":[{"kind":"ReplicaSet",'
           b'"name":"web-7d9","controller":true}]},"spec":{"nodeName":"n1","hostNetwork":false,'
           b'"containers":[{"ports":[{"containerPort":80}]}]},"status":{"podIPs":[{"ip":"10.1.1.2"}]}}')
    others = [b'{"kind":"Service","metadata":{"name":"web","namespace":"shop"},"spec":{"clusterIPs":'
              b'["10.96.0.9"],"selector":{"app":"web"},"ports":[{"port":80}]}}',
              b'{"kind":"EndpointSlice","metadata":{"name":"web-x","labels":{"kubernetes.io/service-name":'
              b'"web"}},"endpoints":[{"addresses":["10.1.1.2"],"targetRef":{"kind":"Pod","name":"web-1"}}]}',
              b'{"kind":"Node","metadata":{"name":"n1"},"spec":{"podCIDRs":["10.1.1.0/24"]},'
              b'"status":{"addresses":[{"type":"InternalIP","address":"10.0.0.1"}]}}']
    events = [b'{"type":"ADDED","object":' + pod + b'}',
              b'{"type":"BOOKMARK","object":{"kind":"Pod","metadata":{"resourceVersion":"12"}}}',
              b'{"type":"ERROR","object":{"kind":"Status","code":410,"message":"too old"}}'] + \
             [b'{"type":"MODIFIED","object":' + o + b'}' for o in others]
    for first in (0, 7, 200):
        write("kube_watch_fuzz", bytes([first]) + b"\n".join(events) + b"\n")
    write("kube_watch_fuzz", bytes([63]) + pod)
    # Kubeconfigs as kubectl and cloud tools write them.
    write("kubeconfig_fuzz", b"""apiVersion: v1
kind: Config
current-context: admin@prod
clusters:
- name: prod
  cluster:
    server: https://10.0.0.1:6443
    certificate-authority-data: Q0EgUEVN
- name: lab
  cluster: {server: "https://lab:443", insecure-skip-tls-verify: true}
users:
- name: admin
  user: {token: abc.def}
- name: alice
  user:
    client-certificate-data: Q0VSVA==
    client-key-data: S0VZ
- name: cloud
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: plugin
      args: [--quiet]
      env: [{name: A, value: b}]
contexts:
- name: admin@prod
  context: {cluster: prod, user: admin}
- name: alice@lab
  context: {cluster: lab, user: alice, namespace: shop}
""")
    write("kubeconfig_fuzz", b'{"current-context":"x","contexts":[{"name":"x","context":{"cluster":"c",'
                             b'"user":"u"}}],"clusters":[{"name":"c","cluster":{"server":"https://a"}}],'
                             b'"users":[{"name":"u","user":{"tokenFile":"t"}}]}')
    write("kubeconfig_fuzz", b'{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",'
                             b'"status":{"token":"t","expirationTimestamp":"2099-01-01T00:00:00Z"}}')
    # Whole requests for the router; the first byte picks the worker's access settings.
    for setting, request in (
            (0, b"GET /api/entries?limit=5&q=http HTTP/1.1\r\nHost: 127.0.0.1:8899\r\n\r\n"),
            (0, b"GET /api/entries/3/pcap HTTP/1.1\r\nHost: localhost\r\n\r\n"),
            (0, b"HEAD /assets/ HTTP/1.1\r\nHost: localhost\r\nOrigin: http://evil.example\r\n\r\n"),
            (1, b"GET /api/stats HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Authorization: Bearer 0123456789abcdef0123\r\n\r\n"),
            (1, b"GET /api/stream?access_token=0123456789abcdef0123 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"),
            (2, b"OPTIONS /api/entries HTTP/1.1\r\nHost: trawl.internal\r\n"
                b"Origin: https://ui.example\r\nSec-Fetch-Site: cross-site\r\n\r\n")):
        write("api_router_fuzz", bytes([setting]) + request)
    # A hub's cursor (or an id), a newline, then a member's /api/entries answer.
    for head, body in ((b"n1~120,n2~88,n3~", b'{"entries":[{"id":"9","timestampUs":90},{"id":"8","timestampUs":70}],'
                                              b'"next":"8"}'),
                       (b"eu~n1~5%2Cn2~,us~", b'{"entries":[{"id":"n1~4","timestampUs":5}],"partial":true,'
                                              b'"error":"timed out"}'),
                       (b"prod~n1~123", b'{"id":"7","x":1}')):
        write("hub_merge_fuzz", head + b"\n" + body)

    for cap in captures:
        if os.path.getsize(cap) <= 256 * 1024:
            write("pcap_fuzz", open(cap, "rb").read())
        streams, segments, icmp, decoded = {}, {}, b"", b""
        try:
            for link, frame in frames(cap):
                if link in LINKS and len(decoded) < 65536:
                    decoded += bytes([LINKS.index(link)]) + struct.pack(">H", len(frame)) + frame
                p = ip_payload(link, frame)
                if not p:
                    continue
                proto, src, dst, l4 = p
                if proto in (1, 58):
                    icmp += bytes([proto == 58]) + bytes([min(len(l4), 255)]) + l4[:255]
                    continue
                if proto not in (6, 17) or len(l4) < 8:
                    continue
                sport, dport = struct.unpack_from(">HH", l4)
                key = tuple(sorted([(src, sport), (dst, dport)]))
                direction = 0 if (src, sport) == key[0] else 1
                if proto == 6:
                    payload = l4[(l4[12] >> 4) * 4:]
                    seq, ack = struct.unpack_from(">II", l4, 4)
                    seg = segments.setdefault(key, [])
                    seg.append(bytes([(0x80 if direction else 0) | (l4[13] & 0x1F)]) +
                               struct.pack(">HHB", seq & 0xFFFF, ack & 0xFFFF, min(len(payload), 255)) +
                               payload[:255])
                else:
                    payload = l4[8:]
                if payload:
                    rec = bytes([direction]) + struct.pack(">H", len(payload)) + payload
                    streams[key] = streams.get(key, b"") + rec
        except (struct.error, IndexError):
            pass
        write("decode_fuzz", decoded)
        write("icmp_fuzz", icmp)
        for s in streams.values():
            for t in STREAM_TARGETS:
                write(t, s)
        for segs in segments.values():
            write("flows_fuzz", b"".join(segs))


if __name__ == "__main__":
    main()
