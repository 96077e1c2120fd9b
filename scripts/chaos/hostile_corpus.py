"""Hostile Flink URLs in the bad-input corpus (issue #17).

Flink ScheduledJobs (spec.flinkJob) whose URLs are hostile: user info in a URL, a redirect loop,
a 10 GiB answer, an endless chunked answer, a slow-loris server (hostile_servers.py, started
and stopped here). Each must end with a clear Ready condition (False, its reason, a message
naming the problem) within its own timeout, while the scenario's healthy ScheduledJobs stay on
time (the scenario's own checks). Two sets:

  jobmanager_corpus  (badinput scenario, no Flink) the hostile server is the jobManagerURL:
                     sked asks the JobManager for the run's job before anything else
  jar_corpus         (flink scenario, a real JobManager; FlinkScenarioCorpus) the hostile server
                     is the jarURL: sked fetches a JAR only after the JobManager answered
                     (GET /jobs/<id>/status, then HEAD of the JAR, GET /jars, GET of the JAR)

Items are BadInput items (corpus.py) in the scenario's corpus namespace, labelled
chaos.sked.dev/hostile; `phase` None on an item means a transient reason (FlinkUnreachable,
JarUnavailable), which sked retries without setting phase Invalid. A URL with user info must
be refused (the CRD at apply time, a readable 4xx, or sked with InvalidSpec naming "user info"),
and its password must appear in no ScheduledJob status, no Event and no operator log.
"""
import json
import string
import time
import urllib.parse

import hostile_servers
from corpus import BadInput
from harness.proc import log
from harness.times import parse_time
from kube import condition, sjs_path
from watchers import StatusWatch

LABEL = "chaos.sked.dev/hostile"
SCHEDULE = "*/2 * * * * *"
# sked's fixed timeouts (not flags of `sked operator` yet): a JobManager request 30 s
# (FlinkTarget.Settings.requestTimeout), the JAR's HEAD 30 s (JarDownloader.validators), the
# JAR's download 300 s (downloadTimeout). A slow-loris item may take the first one, plus a tick.
SLOW_TIMEOUT = 45
TIMEOUT = 15
MAX_JAR_BYTES = 1 << 20  # the flink scenario's --flink-max-jar-bytes (the test JAR is 5 KB)
# sked's egress policy (every chaos operator allows 127.0.0.0/8): badinput denies 127.0.0.1,
# so a name resolving to it is refused; flink denies 127.0.0.2 (its JobManager is on .1).
BADINPUT_OPERATOR_ARGS = ["--denied-url-cidrs", "127.0.0.1/32"]
FLINK_DENIED = "127.0.0.2/32"


def password(rng):
    return "chaosPW" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(24))


class HostileCorpus:
    """Servers, items and checks of one scenario's hostile URLs."""

    def __init__(self, bad, servers):
        self.bad, self.sc = bad, bad.sc
        self.servers = hostile_servers.start(servers)
        self.items = []
        self.watch = None

    def add(self, name, what, jm, jar, expect, timeout=TIMEOUT, transient=False, server=None, secret=None):
        spec = self.bad.spec(schedule=SCHEDULE, flinkJob={"jobManagerURL": jm, "jarURL": jar})
        del spec["jobTemplate"]
        item = self.bad.add("hostile URL", name, spec, expect)
        item["body"]["metadata"]["labels"] = {LABEL: "true"}
        item.update({"what": what, "timeout": timeout, "server": server, "secret": secret})
        if transient:
            item["phase"] = None  # BadInput.problems: no phase Invalid for a reason sked retries
        self.items.append(item)
        return item

    def add_user_info(self, name, what, jm=None, jar=None):
        """A URL with user info: refused (by the CRD or by sked's validation), never repeated."""
        secret = password(self.bad.rng)
        url = f"http://chaos:{secret}@127.0.0.1:9"
        return self.add(name, what, jm or url, jar or url + "/job.jar", ("InvalidSpec", "user info"), secret=secret)

    def start_watch(self):
        """Records each item's Ready transitions as sked writes them (for the time to its condition)."""
        self.watch = StatusWatch(self.bad.api, self.bad.ns)
        self.watch.path += "?labelSelector=" + urllib.parse.quote(f"{LABEL}=true")
        self.watch.start()

    def close(self):
        if self.watch:
            self.watch.stopped = True
        hostile_servers.close_all(self.servers)

    # -- checks
    def matched_at(self, item, sj):
        """When sked first wrote the expected Ready (False, reason): from the watch, else the
        condition's lastTransitionTime (whole seconds)."""
        reason = item["expect"][0]
        seen = [t for t, status, r, _ in (self.watch.timeline(item["name"]) if self.watch else []) if status == "False" and r == reason]
        if seen:
            return seen[0]
        c = condition(sj or {}, "Ready") or {}
        return parse_time(c.get("lastTransitionTime")) if c.get("reason") == reason else None

    def await_all(self):
        """Polls until each admitted item is handled or its timeout has passed since its creation;
        returns {name: (problems, ScheduledJob)} of the last look."""
        pending = [i for i in self.items if "uid" in i]
        last = {}
        while pending:
            sjs, events = self.state()
            for i in list(pending):
                sj = sjs.get(i["name"])
                problems = self.bad.problems(i, sj, events)
                last[i["name"]] = (problems, sj)
                if not problems or time.time() > i["created_at"] + i["timeout"]:
                    pending.remove(i)
            if pending:
                self.sc.sleep(2.0)
        return last

    def state(self):
        """The labelled ScheduledJobs by name, the corpus namespace's Events by uid."""
        path = sjs_path(self.bad.ns) + "?labelSelector=" + urllib.parse.quote(f"{LABEL}=true")
        sjs = {sj["metadata"]["name"]: sj for sj in self.bad.api.must("GET", path)["items"]}
        events = {}
        for e in self.bad.list("events"):
            events.setdefault((e.get("involvedObject") or {}).get("uid"), []).append(e)
        return sjs, events

    def check(self):
        """Every item's outcome as a report line; a miss is a `badinput` finding."""
        last = self.await_all()
        rows = {}
        for i in self.items:
            server = self.servers[i["server"]].describe() if i["server"] else None
            row = {"what": i["what"], "expect": list(i["expect"]), "timeout_s": i["timeout"], "server": server}
            if "refused" in i:
                refused = i["refused"].replace(i["secret"], "<password>") if i["secret"] else i["refused"]
                row["refused"] = refused[:300]
                line = f"refused at apply time: {refused[:160]}"
            else:
                problems, sj = last.get(i["name"], (["never looked at"], None))
                ready = condition(sj or {}, "Ready") or {}
                t = self.matched_at(i, sj)
                took = None if t is None else t - i["created_at"]
                if not problems and took is not None and took > i["timeout"] + 1:
                    problems = [f"Ready={ready.get('reason')} came {took:.1f}s after creation, later than its timeout {i['timeout']}s"]
                row.update({"reason": ready.get("reason"), "message": (ready.get("message") or "")[:300],
                            "phase": ((sj or {}).get("status") or {}).get("phase"),
                            "condition_after_s": None if took is None else round(took, 1), "problems": problems})
                line = (f"Ready={ready.get('status')} {ready.get('reason')}"
                        + (f" {took:.1f}s after creation" if took is not None else "") + f" (timeout {i['timeout']}s): "
                        + repr((ready.get("message") or "")[:220]))
                if problems:
                    line += "\n               NOT handled: " + "; ".join(problems)
                for p in problems:
                    self.sc.finding("badinput", i["name"], f"{i['what']}: {p}")
            if server:
                line += f"\n               server {server}"
            self.sc.lines.append(f"hostile     {i['what']}: {line}")
            rows[i["name"]] = row
        self.sc.details.setdefault("badinput", {})["hostile URLs"] = rows

    def check_secrets_unseen(self):
        """No item's password in a ScheduledJob's status, an Event or an operator log (its spec
        holds it: that is where the author put it)."""
        statuses = json.dumps([sj.get("status") for sj in self.bad.list("sjs")])
        places = {"ScheduledJob status": statuses, "Events": json.dumps(self.bad.list("events"))}
        for op in self.sc.operators:
            with open(op.log_path, "rb") as f:
                places[f"operator log {op.log_path}"] = f.read().decode("utf-8", "replace")
        for i in self.items:
            if not i["secret"]:
                continue
            found = [where for where, text in places.items() if i["secret"] in text]
            for where in found:
                self.sc.finding("badinput", i["name"], f"{i['what']}: the URL's password appears in {where}")
            self.sc.lines.append(f"hostile     {i['what']}: password looked for in {len(places)} places, "
                                 + (f"FOUND in {', '.join(found)}" if found else "never seen"))

    def suspend(self):
        for i in self.items:
            if "uid" in i:
                self.bad.api.must("PATCH", f"{sjs_path(self.bad.ns)}/{i['name']}", {"spec": {"suspend": True}},
                                  "application/merge-patch+json")


def jobmanager_corpus(bad):
    """badinput: hostile jobManagerURLs (no Flink: sked asks the JobManager first, so the JAR URL,
    port 9 where nothing listens, is never fetched)."""
    h = HostileCorpus(bad, ["redirect-loop", "slow-loris", "huge-length", "endless-chunk"])
    jar = "http://127.0.0.1:9/job.jar"
    h.add_user_info("userinfo-jar", "user info in jarURL", jm="http://127.0.0.1:9")
    h.add_user_info("userinfo-jm", "user info in jobManagerURL", jar=jar)
    for name, what, server, expect, timeout in [
            ("redirect-loop-jm", "redirect loop as jobManagerURL", "redirect-loop", ("FlinkUnreachable", "redirects"), TIMEOUT),
            ("slow-loris-jm", "slow-loris jobManagerURL", "slow-loris", ("FlinkUnreachable", "timed out"), SLOW_TIMEOUT),
            ("huge-answer-jm", "10 GiB JobManager answer", "huge-length", ("FlinkUnreachable", "larger than"), TIMEOUT),
            ("endless-answer-jm", "endless chunked JobManager answer", "endless-chunk", ("FlinkUnreachable", "larger than"), TIMEOUT)]:
        h.add(name, what, h.servers[server].origin, jar, expect, timeout, transient=True, server=server)
    # Egress policy: refused before any connection, naming the host only.
    h.add("metadata-jm", "cloud metadata address as jobManagerURL", "http://169.254.169.254/latest/meta-data", jar,
          ("URLNotAllowed", "inside the denied range 169.254.0.0/16"), transient=True)
    h.add("denied-name-jm", "name resolving into a denied range as jobManagerURL", "http://localhost:9/jm", jar,
          ("URLNotAllowed", "URL host localhost is not allowed: resolves to 127.0.0.1"), transient=True)
    return h


def jar_corpus(bad, jobmanager):
    """flink: hostile jarURLs on the real JobManager `jobmanager` (its own URL, not the proxy's:
    the proxy's faults and its per-JobManager slots stay the healthy ScheduledJobs')."""
    h = HostileCorpus(bad, ["redirect-loop", "slow-loris", "huge-length", "huge-length-get", "endless-chunk"])
    h.add_user_info("userinfo-jar", "user info in jarURL", jm=jobmanager)
    for name, what, server, expect, timeout, transient in [
            # sked's HEAD (JarDownloader.validators) follows the redirects and times out first.
            ("redirect-loop-jar", "redirect loop as jarURL", "redirect-loop", ("JarUnavailable", "redirects"), TIMEOUT, True),
            ("slow-loris-jar", "slow-loris jarURL", "slow-loris", ("JarUnavailable", "timed out"), SLOW_TIMEOUT, True),
            # 10 GiB announced by the HEAD answer too: a HEAD has no body, so only the GET's length counts.
            ("huge-jar", "10 GiB Content-Length JAR (HEAD and GET)", "huge-length", ("RunStartFailed", "more than the limit"), TIMEOUT, False),
            ("huge-jar-get", "10 GiB Content-Length JAR (GET only)", "huge-length-get", ("RunStartFailed", "more than the limit"),
             TIMEOUT, False),
            ("endless-jar", "endless chunked JAR", "endless-chunk", ("RunStartFailed", "larger than the limit"), TIMEOUT, False)]:
        h.add(name, what, jobmanager, h.servers[server].url("/job.jar"), expect, timeout, transient=transient, server=server)
    # Egress policy on the JAR, the JobManager (loopback, allowed) having answered.
    h.add("metadata-jar", "cloud metadata address as jarURL", jobmanager, "http://169.254.169.254/job.jar",
          ("URLNotAllowed", "inside the denied range 169.254.0.0/16"), transient=True)
    h.add("denied-name-jar", "name resolving into a denied range as jarURL (inet_aton form)", jobmanager, "http://0x7f.2:9/job.jar",
          ("URLNotAllowed", f"URL host 0x7f.2 is not allowed: resolves to 127.0.0.2, which is inside the denied range {FLINK_DENIED}"), transient=True)
    return h


class FlinkScenarioCorpus:
    """The flink scenario's hand-over: its corpus namespace and servers (before the operator
    starts: it must watch the namespace), then `run()` once the healthy ScheduledJobs exist."""

    def __init__(self, sc, args, jobmanager):
        self.bad = BadInput(sc, args)
        self.bad.api.must("POST", "/api/v1/namespaces", {"metadata": {"name": self.bad.ns}}, ok=(201,))
        self.corpus = jar_corpus(self.bad, jobmanager)

    def operator_args(self):
        """What the flink scenario's operator needs beyond its own: the corpus namespace, and a
        small JAR limit, so that the endless JAR ends within a second."""
        return ["--namespace", self.bad.ns, "--flink-max-jar-bytes", str(MAX_JAR_BYTES), "--denied-url-cidrs", FLINK_DENIED]

    def run(self):
        """Creates the items, checks them (the healthy ScheduledJobs keep running meanwhile), then
        suspends them: the faults that follow are the healthy ScheduledJobs' own."""
        t0 = time.time()
        self.corpus.start_watch()
        self.bad.create(self.corpus.items, f"{len(self.corpus.items)} hostile JAR URLs")
        self.corpus.check()
        self.corpus.suspend()
        self.bad.dump()
        log(f"  hostile JAR URLs checked in {time.time() - t0:.1f}s; suspended")

    def close(self):
        self.corpus.close()
