"""What the hostile suite's scenarios share: a worker process and its API, raw
HTTP and WebSocket clients, a pcap writer, and the checks with the figures
each scenario measured."""
import base64
import gzip
import http.client
import json
import os
import random
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

RSS_BOUND_MIB = 256  # the bound every scenario's worker must stay under (docs/security.md)


class Checks:
    def __init__(self, name):
        self.name = name
        self.failures = []
        self.count = 0
        self.figures = {}  # what the scenario measured, for docs/benchmarks.md

    def check(self, cond, what):
        self.count += 1
        if not cond:
            self.failures.append(what)
            print(f"hostile/{self.name}: FAILED: {what}", file=sys.stderr, flush=True)
        return cond

    def figure(self, key, value):
        self.figures[key] = value


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Worker:
    """A trawl process serving the API (scenarios run inside a network namespace
    of their own: its loopback is theirs)."""

    def __init__(self, trawl, args, port, log=None, preexec=None, env=None):
        self.port = port
        self.log_path = log
        self.log = open(log, "wb") if log else subprocess.DEVNULL
        cmd = [trawl] + args + ["--port", str(port)]
        self.proc = subprocess.Popen(cmd, stderr=self.log, stdout=subprocess.DEVNULL, preexec_fn=preexec,
                                     env=env)
        self.pid = self.proc.pid

    def wait_healthy(self, timeout=60):
        end = time.time() + timeout
        while time.time() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"trawl exited with {self.proc.returncode}")
            try:
                if self.request("GET", "/healthz", timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("trawl did not come up")

    def alive(self):
        return self.proc.poll() is None

    def connect(self, timeout=30):
        return socket.create_connection(("127.0.0.1", self.port), timeout=timeout)

    def request(self, method, path, headers=None, timeout=30, body=None):
        """(status, body bytes, headers) of one request on a fresh connection."""
        sock = self.connect(timeout)
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
            conn.sock = sock
            h = {"Host": f"127.0.0.1:{self.port}"}
            h.update(headers or {})
            conn.request(method, path, body=body, headers=h)
            res = conn.getresponse()
            data = res.read() if method != "HEAD" else b""
            return res.status, data, dict(res.getheaders())
        finally:
            sock.close()

    def json(self, path, headers=None, timeout=30):
        status, body, _ = self.request("GET", path, headers, timeout)
        return status, json.loads(body) if body else None

    def stats(self):
        return self.json("/api/stats")[1]

    def rss_mib(self, key="VmHWM"):
        try:
            with open(f"/proc/{self.pid}/status") as f:
                for line in f:
                    if line.startswith(key + ":"):
                        return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    def cpu_seconds(self, thread_prefix=None):
        """CPU time of the process, or of its threads whose names start so."""
        total = 0
        tasks = os.listdir(f"/proc/{self.pid}/task") if thread_prefix else [None]
        for t in tasks:
            base = f"/proc/{self.pid}" + (f"/task/{t}" if t else "")
            try:
                if thread_prefix and not open(base + "/comm").read().startswith(thread_prefix):
                    continue
                fields = open(base + "/stat").read().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
            except OSError:
                continue
        return total / os.sysconf("SC_CLK_TCK")

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Sends `sig`; the exit code, or None when it did not exit in time."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None


# WebSocket, as much as the suite needs (RFC 6455): a client handshake, masked
# text frames out, frames in.
def ws_open(sock, port, path="/api/stream", origin=None, rcvbuf=None):
    if rcvbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Upgrade: websocket", "Connection: Upgrade",
             f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
    if origin:
        lines.append(f"Origin: {origin}")
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            break
        head += chunk
    status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/1.1 ") else 0
    return status, head.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in head else b""


def ws_frame(payload, opcode=1):
    mask = os.urandom(4)
    n = len(payload)
    head = bytes([0x80 | opcode])
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack(">H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack(">Q", n)
    m = (mask * (n // 4 + 1))[:n]
    masked = (int.from_bytes(payload, "little") ^ int.from_bytes(m, "little")).to_bytes(n, "little")
    return head + mask + masked


class WsReader:
    """Reads server frames (unmasked) from a socket, with whatever followed the handshake."""

    def __init__(self, sock, rest=b""):
        self.sock = sock
        self.buf = rest

    def _need(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk

    def frame(self):
        """(opcode, payload); answers pings."""
        while True:
            self._need(2)
            b0, b1 = self.buf[0], self.buf[1]
            n, at = b1 & 0x7F, 2
            if n == 126:
                self._need(4)
                n, at = struct.unpack(">H", self.buf[2:4])[0], 4
            elif n == 127:
                self._need(10)
                n, at = struct.unpack(">Q", self.buf[2:10])[0], 10
            self._need(at + n)
            payload, self.buf = self.buf[at:at + n], self.buf[at + n:]
            if b0 & 0x0F == 9:  # ping
                self.sock.sendall(ws_frame(payload, 10))
                continue
            return b0 & 0x0F, payload


# A pcap writer for synthetic captures (Ethernet, IPv4, TCP; checksums left
# zero, which trawl does not verify).
class PcapWriter:
    def __init__(self, path):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        self.ts = 1_790_000_000.0

    def frame(self, src, dst, sport, dport, seq, ack, flags, payload=b""):
        ip_len = 20 + 20 + len(payload)
        ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, ip_len, 0, 0x4000, 64, 6, 0,
                         socket.inet_aton(src), socket.inet_aton(dst))
        tcp = struct.pack(">HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, flags,
                          65535, 0, 0)
        data = b"\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x01\x08\x00" + ip + tcp + payload
        self.ts += 0.0001
        sec = int(self.ts)
        self.f.write(struct.pack("<IIII", sec, int((self.ts - sec) * 1e6), len(data), len(data)) + data)

    def close(self):
        self.f.close()


def write_http_capture(path, exchanges, body_bytes, seed=7):
    """`exchanges` POSTs with text bodies of `body_bytes` bytes and their 200
    responses, 100 to a connection."""
    rnd = random.Random(seed)
    words = [("".join(rnd.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rnd.randint(2, 9)))).encode()
             for _ in range(2000)]
    bodies = [b" ".join(rnd.choice(words) for _ in range(body_bytes // 5))[:body_bytes] for _ in range(64)]
    w = PcapWriter(path)
    conn = 0
    for start in range(0, exchanges, 100):
        conn += 1
        cip, sip, cport, sport = f"10.9.{conn // 250}.{conn % 250 + 1}", "10.9.255.1", 20000 + conn, 8080
        cseq, sseq = 1000, 5000
        w.frame(cip, sip, cport, sport, cseq, 0, 0x02)
        w.frame(sip, cip, sport, cport, sseq, cseq + 1, 0x12)
        cseq += 1
        sseq += 1
        w.frame(cip, sip, cport, sport, cseq, sseq, 0x10)
        for i in range(start, min(exchanges, start + 100)):
            body = bodies[i % len(bodies)]
            req = (f"POST /upload/{i} HTTP/1.1\r\nHost: api.example\r\nContent-Type: text/plain\r\n"
                   f"Content-Length: {len(body)}\r\n\r\n").encode() + body
            for off in range(0, len(req), 1448):
                seg = req[off:off + 1448]
                w.frame(cip, sip, cport, sport, cseq, sseq, 0x18, seg)
                cseq += len(seg)
            resp = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok":true}'
            w.frame(sip, cip, sport, cport, sseq, cseq, 0x18, resp)
            sseq += len(resp)
        w.frame(cip, sip, cport, sport, cseq, sseq, 0x11)
        w.frame(sip, cip, sport, cport, sseq, cseq + 1, 0x11)
        w.frame(cip, sip, cport, sport, cseq + 1, sseq + 1, 0x10)
    w.close()


def gzip_noise(size, seed=1):
    """A gzip body of about `size` bytes that does not shrink."""
    return gzip.compress(random.Random(seed).randbytes(size), compresslevel=1)


class TrafficServer:
    """nginx on the namespace's loopback: every GET answers `body_bytes` of JSON."""

    def __init__(self, port, work, body_bytes=8192):
        conf = os.path.join(work, f"nginx-{port}.conf")
        www = os.path.join(work, f"www-{port}")
        os.makedirs(www, exist_ok=True)
        with open(os.path.join(www, "body.json"), "w") as f:
            json.dump({"pad": "x" * body_bytes}, f)
        with open(conf, "w") as f:
            f.write(f"""daemon off; master_process off; worker_processes 1;
error_log {work}/nginx-{port}.err; pid {work}/nginx-{port}.pid;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {work}/nginx-body; proxy_temp_path {work}/nginx-proxy;
  fastcgi_temp_path {work}/nginx-fcgi; uwsgi_temp_path {work}/nginx-uwsgi; scgi_temp_path {work}/nginx-scgi;
  keepalive_requests 100000;
  server {{
    listen 127.0.0.1:{port};
    root {www};
    location / {{ default_type application/json; try_files /body.json =404; }}
  }}
}}
""")
        self.proc = subprocess.Popen(["nginx", "-c", conf], stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nginx did not start")

    def close(self):
        self.proc.kill()
        self.proc.wait()


def fetch_all(port, first, last, prefix="/item/"):
    """GETs of prefix+n for n in first..last, one keep-alive connection (curl)."""
    subprocess.run(["curl", "-s", "-o", "/dev/null", f"http://127.0.0.1:{port}{prefix}[{first}-{last}]"],
                   check=False)


class TrafficClient:
    """Keep-alive GETs of /item/<n> at about `rate` a second, n counting up."""

    def __init__(self, port, rate, start=0, prefix="/item/"):
        self.port, self.rate, self.n, self.prefix = port, rate, start, prefix
        self.running = True
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        conn = None
        while self.running:
            t0 = time.time()
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", f"{self.prefix}{self.n}")
                conn.getresponse().read()
                self.n += 1
            except OSError:
                conn = None
                time.sleep(0.05)
            time.sleep(max(0.0, 1.0 / self.rate - (time.time() - t0)))

    def stop(self):
        self.running = False
        self.thread.join()
