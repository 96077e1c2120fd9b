"""The processes the benchmark starts (by PID, sampled from /proc: RSS, CPU seconds), what /proc
and gdb say about their memory, and what sked's /metrics says."""
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import urllib.request

from harness.proc import log

CLK_TCK = os.sysconf("SC_CLK_TCK")


def scrape_startup(port):
    """Completed reconciles (sked_reconcile_duration_seconds_count) and API requests by verb from
    sked's /metrics; None while the endpoint is not up."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
            body = r.read()
    except OSError:
        return None
    out = {"reconciles": 0, "requests": {}, "bytes": len(body)}
    for line in body.decode().splitlines():
        if line.startswith("sked_reconcile_duration_seconds_count"):
            out["reconciles"] += int(float(line.rpartition(" ")[2]))
        elif line.startswith("sked_kube_requests_total{"):
            m, c = re.search(r'verb="([^"]*)"', line), re.search(r'code="([^"]*)"', line)
            k = m.group(1) if m else "?"
            if c and not c.group(1).startswith("2"):
                k += f" {c.group(1)}"  # failures by code (0: no response)
            out["requests"][k] = out["requests"].get(k, 0) + int(float(line.rpartition(" ")[2]))
    return out


def rss_by_mapping(pid, top=8):
    """Resident MiB per mapped file (and [heap], [anon]: the rest of the anonymous memory), largest first."""
    by = {}
    try:
        with open(f"/proc/{pid}/smaps") as f:
            name = "[anon]"
            for line in f:
                head = line.split()
                if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                    name = os.path.basename(head[5]) if len(head) > 5 and head[5].startswith("/") else (
                        head[5] if len(head) > 5 and head[5] == "[heap]" else "[anon]")
                elif head and head[0] == "Rss:":
                    by[name] = by.get(name, 0) + int(head[1])
    except (OSError, ValueError, IndexError):
        return {}
    return {k: round(v / 1024, 1) for k, v in sorted(by.items(), key=lambda kv: -kv[1])[:top]}


def malloc_probe(pid, logpath):
    """Attach gdb to sked (after the measurement): glibc's malloc_stats() prints to sked's stderr (its
    log), then malloc_trim(0) returns free pages of every arena to the kernel. In-use vs system bytes
    and RSS after the trim tell live objects from memory the allocator keeps."""
    if not shutil.which("gdb"):
        return {"error": "no gdb"}
    size0 = os.path.getsize(logpath)
    out = subprocess.run(["gdb", "-nx", "-batch", "-readnever", "-p", str(pid), "-ex", "call (void)malloc_stats()",
                          "-ex", "call (int)malloc_trim(0)"], capture_output=True, text=True, timeout=120)
    time.sleep(0.5)
    with open(logpath, "rb") as f:
        f.seek(size0)
        text = f.read().decode(errors="replace")
    tot = text.split("Total (incl. mmap):")[-1]
    sysb, used = re.search(r"system bytes\s*=\s*(\d+)", tot), re.search(r"in use bytes\s*=\s*(\d+)", tot)
    if not (sysb and used):
        return {"error": (out.stderr or out.stdout)[-300:]}
    return {"malloc_system_mib": round(int(sysb.group(1)) / 2 ** 20, 1), "malloc_in_use_mib": round(int(used.group(1)) / 2 ** 20, 1),
            "arenas": len(re.findall(r"^Arena \d+:", text, re.M)), "after_trim": mem_detail(pid)}


def diff(a, b):
    if a is None or b is None:
        return None
    return {k: a.get(k, 0) - b.get(k, 0) for k in a if a.get(k, 0) != b.get(k, 0)}


def mem_detail(pid):
    """VmRSS, VmHWM (peak RSS), RssAnon (heap, stacks), RssFile (mapped binary and libraries) in MiB, and threads."""
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem"):
                    out[k] = round(int(v.split()[0]) / 1024, 1)
                elif k == "Threads":
                    out[k] = int(v)
    except (OSError, ValueError):
        pass
    return out


class Sampler:
    """Samples RSS and CPU seconds of one PID from /proc every 0.5 s."""

    def __init__(self, name, pid):
        self.name, self.pid = name, pid
        self.samples = []  # (t, rss_kib, cpu_s)
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._sample, daemon=True)
        self._t.start()

    def alive(self):
        return os.path.exists(f"/proc/{self.pid}")

    def _sample(self):
        while not self._stop.is_set() and self.alive():
            s = self.read()
            if s:
                self.samples.append(s)
            self._stop.wait(0.5)

    def read(self):
        try:
            with open(f"/proc/{self.pid}/status") as f:
                rss = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
            with open(f"/proc/{self.pid}/stat") as f:
                st = f.read().rsplit(")", 1)[1].split()
            cpu = (int(st[11]) + int(st[12])) / CLK_TCK  # utime, stime (fields 14, 15)
            return time.time(), rss, cpu
        except (OSError, StopIteration, ValueError, IndexError):
            return None

    def window(self, t0, t1):
        """Footprint between t0 and t1 (epoch seconds): CPU seconds, peak and last RSS (MiB)."""
        w = [s for s in self.samples if t0 - 0.6 <= s[0] <= t1 + 0.6]
        if len(w) < 2:
            return {"cpu_s": None, "rss_peak_mib": None, "rss_end_mib": None}
        return {"cpu_s": round(w[-1][2] - w[0][2], 2), "seconds": round(w[-1][0] - w[0][0], 1),
                "rss_peak_mib": round(max(s[1] for s in w) / 1024, 1), "rss_end_mib": round(w[-1][1] / 1024, 1)}


class Proc(Sampler):
    """A child process we started, sampled from /proc."""

    def __init__(self, name, argv, logpath, env=None):
        self.logf = open(logpath, "wb")
        self.p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.logf, stderr=subprocess.STDOUT, env=env)
        super().__init__(name, self.p.pid)
        log(f"started {name} pid {self.pid} (log {logpath})")

    def alive(self):
        return self.p.poll() is None

    def stop(self, grace=15):
        self._stop.set()
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(grace)
            except subprocess.TimeoutExpired:
                log(f"{self.name} pid {self.pid} ignored SIGTERM for {grace}s; SIGKILL")
                self.p.kill()
                self.p.wait(10)
        self.logf.close()
        log(f"stopped {self.name} pid {self.pid} (exit {self.p.returncode})")


def scrape(port):
    """sked's own counters and histogram sums (no buckets) from /metrics."""
    out = {}
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
            for line in r.read().decode().splitlines():
                if line.startswith("sked_") and "_bucket" not in line:
                    k, _, v = line.rpartition(" ")
                    # Sum per-object series (scheduledjob="...") into one per metric and the rest.
                    k = re.sub(r'(,?)scheduledjob="[^"]*"', "", k).replace("{,", "{")
                    out[k] = out.get(k, 0.0) + float(v)
    except (OSError, ValueError) as e:
        out["error"] = str(e)
    return out
