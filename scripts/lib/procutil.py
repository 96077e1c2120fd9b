"""Small helpers shared by the Python harnesses (benchmarks/bench.py, scripts/chaos/run.py)."""
import socket
import sys
import time


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, file=sys.stderr, flush=True)


def free_port():
    """A free loopback TCP port (the harnesses bind everything to 127.0.0.1)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p
