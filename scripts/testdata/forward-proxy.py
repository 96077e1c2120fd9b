#!/usr/bin/env python3
"""A loopback HTTP forward proxy for tests: absolute-URI requests (http://) and CONNECT
tunnels (https://). Every request is logged to stdout as one line:
    <METHOD> <target> auth=<Proxy-Authorization value or ->
--map NAME=ADDR sends requests for host NAME to ADDR instead (names need not resolve), so a
test can prove a URL was reached through the proxy and not directly.

  forward-proxy.py PORT [--map jars.sked.test=127.0.0.1 ...]
"""
import socket
import sys
import threading
from urllib.parse import urlsplit

port = int(sys.argv[1])
mapping = {}
args = sys.argv[2:]
while args:
    if args[0] == "--map" and len(args) > 1:
        name, addr = args[1].split("=", 1)
        mapping[name.lower()] = addr
        args = args[2:]
    else:
        sys.exit(f"forward-proxy: unknown argument {args[0]!r}")
lock = threading.Lock()


def log(line):
    with lock:
        print(line, flush=True)


def pipe(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (dst,):
            try:
                s.shutdown(socket.SHUT_WR)
            except OSError:
                pass


def read_head(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None, b""
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    return head.decode("latin-1").split("\r\n"), rest


def handle(conn):
    try:
        lines, rest = read_head(conn)
        if not lines:
            return
        method, target, version = lines[0].split(" ", 2)
        headers = [h for h in lines[1:] if h]
        auth = next((h.split(":", 1)[1].strip() for h in headers if h.lower().startswith("proxy-authorization:")), "-")
        log(f"{method} {target} auth={auth}")
        if method == "CONNECT":
            host, _, p = target.rpartition(":")
            upstream = socket.create_connection((mapping.get(host.lower(), host), int(p)), timeout=30)
            conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            if rest:
                upstream.sendall(rest)
        else:
            url = urlsplit(target)
            upstream = socket.create_connection((mapping.get(url.hostname.lower(), url.hostname), url.port or 80), timeout=30)
            path = (url.path or "/") + (f"?{url.query}" if url.query else "")
            kept = [h for h in headers if not h.lower().startswith(("proxy-", "connection:"))]
            upstream.sendall((f"{method} {path} {version}\r\n" + "".join(h + "\r\n" for h in kept) + "Connection: close\r\n\r\n").encode("latin-1") + rest)
        t = threading.Thread(target=pipe, args=(upstream, conn), daemon=True)
        t.start()
        pipe(conn, upstream)
        t.join()
        upstream.close()
    except Exception as e:  # noqa: BLE001 - a test proxy reports and drops the connection
        log(f"ERROR {e!r}")
    finally:
        conn.close()


server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", port))
server.listen(64)
while True:
    c, _ = server.accept()
    threading.Thread(target=handle, args=(c,), daemon=True).start()
