"""Hostile loopback HTTP servers for the chaos suite's bad-input corpus (issue #17).

Each server binds 127.0.0.3 (loopback, but not 127.0.0.1, which a scenario may deny) on a free port, serves every connection in its own daemon thread of
this Python process and answers every request the same hostile way; `close()` stops it and
closes every connection it still holds (the harness starts and stops them itself):

  redirect_loop   302 to itself (same origin) forever: Location <origin>/loop?n=<n+1>
  huge_length     200 with Content-Length 10737418240 (10 GiB) and a JAR's first bytes, then
                  nothing more: it never sends what it announced (huge_length_get: the same,
                  but its HEAD answer announces no length)
  endless_chunk   200, Transfer-Encoding chunked, a body starting "PK\\x03\\x04" that never ends
  slow_loris      accepts, then sends its answer one byte every `interval` seconds, forever

Each records what it served (requests, bytes sent, when each connection opened and when the
client hung up), so the report can say what the operator did with it.
"""
import re
import socket
import threading
import time

TEN_GIB = 10 * 1024 ** 3
ZIP_MAGIC = b"PK\x03\x04"
CHUNK = 64 * 1024

HOST = "127.0.0.3"


class HostileServer:
    def __init__(self, name, behaviour, interval=2.0):
        self.name, self.behaviour, self.interval = name, behaviour, interval
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((HOST, 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.origin = f"http://{HOST}:{self.port}"
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.open = set()
        self.connections = []  # dicts: opened, closed, requests [(t, method, target)], sent, ended (why)
        threading.Thread(target=self._accept, daemon=True, name=f"hostile-{name}").start()

    def url(self, path="/"):
        return self.origin + path

    def _accept(self):
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            rec = {"opened": time.time(), "closed": None, "requests": [], "sent": 0, "ended": None}
            with self.lock:
                self.open.add(conn)
                self.connections.append(rec)
            threading.Thread(target=self._serve, args=(conn, rec), daemon=True, name=f"hostile-{self.name}-conn").start()

    def _serve(self, conn, rec):
        buf = b""
        try:
            while not self.stopping.is_set():
                while b"\r\n\r\n" not in buf:
                    data = conn.recv(65536)
                    if not data:
                        rec["ended"] = "client closed"
                        return
                    buf += data
                    if len(buf) > 1 << 20:
                        rec["ended"] = "request head too long"
                        return
                head, buf = buf.split(b"\r\n\r\n", 1)
                lines = head.decode("latin-1").split("\r\n")
                method, target = (lines[0].split(" ") + ["", ""])[:2]
                length = next((int(v) for k, _, v in (x.partition(":") for x in lines[1:])
                               if k.strip().lower() == "content-length" and v.strip().isdigit()), 0)
                while len(buf) < length:  # a request body (none of sked's requests to these has one)
                    data = conn.recv(65536)
                    if not data:
                        rec["ended"] = "client closed"
                        return
                    buf += data
                buf = buf[length:]
                rec["requests"].append((time.time(), method, target))
                if not self.behaviour(self, conn, rec, method, target):
                    rec["ended"] = rec["ended"] or "server closed"
                    return
        except OSError:  # the client hung up while we were sending (or close() closed it)
            rec["ended"] = rec["ended"] or ("stopped" if self.stopping.is_set() else "client closed")
        finally:
            rec["closed"] = time.time()
            with self.lock:
                self.open.discard(conn)
            try:
                conn.close()
            except OSError:
                pass

    def send(self, conn, rec, data):
        conn.sendall(data)
        rec["sent"] += len(data)

    def hung_up(self, conn, rec, seconds):
        """Waits up to `seconds` (less when the server stops) for the client to hang up; True if it did."""
        conn.settimeout(min(seconds, 0.5))
        end = time.time() + seconds
        while not self.stopping.is_set() and time.time() < end:
            try:
                if not conn.recv(65536):
                    rec["ended"] = "client closed"
                    return True
            except socket.timeout:
                continue
        return False

    def hold(self, conn, rec):
        """Sends nothing more; returns when the client hangs up or the server stops."""
        while not self.stopping.is_set() and not self.hung_up(conn, rec, 3600):
            pass

    def close(self):
        self.stopping.set()
        try:
            self.sock.close()
        except OSError:
            pass
        with self.lock:
            conns = list(self.open)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def summary(self):
        """What it served: connections, requests, bytes, how the connections ended and how long
        the longest one was held open."""
        with self.lock:
            recs = list(self.connections)
        now = time.time()
        held = max(((r["closed"] or now) - r["opened"] for r in recs), default=0.0)
        ended = sorted({r["ended"] or "open" for r in recs})
        return {"connections": len(recs), "requests": sum(len(r["requests"]) for r in recs),
                "methods": sorted({m for r in recs for _, m, _ in r["requests"]}),
                "bytes_sent": sum(r["sent"] for r in recs), "longest_connection_s": round(held, 1), "ended": ended}

    def describe(self):
        s = self.summary()
        return (f"{self.name}: {s['connections']} connection(s), {s['requests']} request(s) {'/'.join(s['methods'])}, "
                f"{s['bytes_sent']} bytes sent, longest connection {s['longest_connection_s']}s ({', '.join(s['ended'])})")


# --------------------------------------------------------------------------- behaviours
# Each answers one request on `conn`; True keeps the connection for the next request.
def redirect_loop(server, conn, rec, method, target):
    m = re.search(r"[?&]n=(\d+)", target)
    n = int(m.group(1)) + 1 if m else 1
    server.send(conn, rec, (f"HTTP/1.1 302 Found\r\nLocation: {server.origin}/loop?n={n}\r\n"
                            "Content-Length: 0\r\n\r\n").encode())
    return True


def huge_length(server, conn, rec, method, target, on_head=True):
    length = f"Content-Length: {TEN_GIB}\r\n" if method != "HEAD" or on_head else ""
    server.send(conn, rec, (f"HTTP/1.1 200 OK\r\nContent-Type: application/java-archive\r\n{length}"
                            "Connection: close\r\n\r\n").encode())
    if method == "HEAD":
        return False
    server.send(conn, rec, ZIP_MAGIC + bytes(CHUNK - len(ZIP_MAGIC)))
    server.hold(conn, rec)
    return False


def huge_length_get(server, conn, rec, method, target):
    """The same, but its HEAD announces no length (as servers of generated content do)."""
    return huge_length(server, conn, rec, method, target, on_head=False)


def endless_chunk(server, conn, rec, method, target):
    server.send(conn, rec, b"HTTP/1.1 200 OK\r\nContent-Type: application/java-archive\r\nTransfer-Encoding: chunked\r\n"
                           b"Connection: close\r\n\r\n")
    if method == "HEAD":
        return False
    body = ZIP_MAGIC + bytes(CHUNK - len(ZIP_MAGIC))
    while not server.stopping.is_set():  # sendall blocks while the client does not read
        server.send(conn, rec, b"%x\r\n" % len(body) + body + b"\r\n")
        body = bytes(CHUNK)
    return False


def slow_loris(server, conn, rec, method, target):
    prefix = b"HTTP/1.1 200 OK\r\nX-Slow: "
    i = 0
    while not server.stopping.is_set() and not server.hung_up(conn, rec, server.interval):
        server.send(conn, rec, prefix[i:i + 1] if i < len(prefix) else b"z")
        i += 1
    return False


BEHAVIOURS = {"redirect-loop": redirect_loop, "huge-length": huge_length, "huge-length-get": huge_length_get,
              "endless-chunk": endless_chunk, "slow-loris": slow_loris}


def start(names, interval=2.0):
    """{name: HostileServer} for the named behaviours."""
    return {n: HostileServer(n, BEHAVIOURS[n], interval) for n in names}


def close_all(servers):
    for s in servers.values():
        s.close()
