"""Process helpers shared by the Python harnesses: log lines, free ports, processes by PID."""
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


def pid_alive(pid):
    """Whether `pid` is a process that has not exited (a zombie has)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def wait_gone(pid, seconds):
    """Polls every 50 ms, for at most `seconds`, until `pid` has exited; whether it has."""
    end = time.time() + seconds
    while time.time() < end and pid_alive(pid):
        time.sleep(0.05)
    return not pid_alive(pid)
