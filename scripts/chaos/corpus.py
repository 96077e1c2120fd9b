"""The bad-input corpus (the `badinput` scenario's, and the hostile URLs' of hostile_corpus.py):
invalid schedules constructed from sked's documented cron grammar, the BadInput collection of
one scenario's bad objects (created at once, then checked for their Ready condition, phase and
Warning Event), and the fixed set of invalid specs."""
import collections
import concurrent.futures
import json
import os
import random
import time

from common import Abort
from harness.proc import log
from harness.times import parse_time
from kube import ApiDown, condition, job_template, jobs_path, sj_body, sjs_path

# Cron fields as sked parses them (robfig/cron v3 grammar, ScheduleParser.swift): second,
# minute, hour, day of month, month, day of week (0-6: robfig has no 7 for Sunday).
CRON_RANGES = ((0, 59), (0, 59), (0, 23), (1, 31), (1, 12), (0, 6))
# Characters no cron field accepts anywhere in a value. Not among them: * and ? (any value),
# "," "/" "-" (lists, steps, ranges; a lone "," is even an empty, valid list), "+" (Go's Atoi
# takes "+5"), letters (month and weekday names), white space (separates fields).
CRON_GARBAGE = "!#$%&()[]{};:<>=|~^`'\"\\@_.\x00\x1b\u00e9\u2603\uff15\u0663"
CRON_DESCRIPTORS = {"yearly", "annually", "monthly", "weekly", "daily", "midnight", "hourly", "every"}
# Hand-written classics. Not here: "@every 0s" (valid: robfig counts less than a second as one).
CRON_CLASSICS = ["61 * * * * *", "* * * *", "TZ=UTC * * * * *", "", "* * * * * * * *", "60 * * * *", "* 24 * * *",
                 "* * 32 * *", "* * * 13 *", "* * * * 7", "0 0 30 2 * * *", "*/0 * * * *", "@reboot", "@every",
                 "@every 5", "CRON_TZ=Europe/Berlin 0 6 * * ?", "   ", "* * * * MON-FRI-SAT"]


def cron_value(rng, k):
    """A valid value for cron field k."""
    lo, hi = CRON_RANGES[k]
    a, b = sorted((rng.randint(lo, hi), rng.randint(lo, hi)))
    return rng.choice(["*", "?", str(a), f"{a}-{b}", f"*/{rng.randint(1, hi)}", f"{a},{b}", f"{a}-{b}/{rng.randint(1, 9)}"])


def bad_cron_value(rng, k):
    """A value that field k rejects whatever the other fields are: out of range (also as a range
    end, in a list, as a stepped start), reversed range, step 0, too many hyphens or slashes,
    a missing number, a garbage character, a word that is no month or weekday name."""
    lo, hi = CRON_RANGES[k]
    big = hi + rng.choice([1, 2, rng.randint(3, 99), rng.randint(100, 10 ** 6)])
    a, b = sorted(rng.sample(range(lo, hi + 1), 2))
    g = rng.choice(CRON_GARBAGE)
    word = "".join(rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(rng.randint(4, 9)))
    forms = [str(big), f"{lo}-{big}", f"{a},{big}", f"{big}/{rng.randint(1, 5)}", f"{b}-{a}", "*/0", f"{a}-{b}/0",
             f"{a}-{b}-{hi}", "*/2/3", f"-{a}", f"{a}{g}", f"{g}{a}", word] + (["0", f"0-{b}"] if lo == 1 else [])
    return rng.choice(forms)


def cron_join(rng, fields):
    return "".join(f + rng.choice([" ", " ", "  ", "\t"]) for f in fields[:-1]) + fields[-1]


def invalid_schedule(rng, long=True):
    """(form, schedule): an expression constructed to be invalid for sked (by its documented
    grammar, never by asking sked): one bad field among 5 or 6, a wrong field count, an unknown
    descriptor or a bad @every duration, a TZ=/CRON_TZ= prefix, white space only, or a very long
    one (2-20 KB) of either kind."""
    form = rng.choice(["field", "field", "field", "count", "descriptor", "prefix", "blank"] + (["long"] if long else []))
    if form == "field":
        kinds = list(range(6))[6 - rng.choice([5, 6]):]
        fields = [cron_value(rng, k) for k in kinds]
        i = rng.randrange(len(kinds))
        fields[i] = bad_cron_value(rng, kinds[i])
        return form, cron_join(rng, fields)
    if form == "count":
        n = rng.choice([1, 2, 3, 4, 7, 8, 9, 12])
        return form, cron_join(rng, [cron_value(rng, i % 6) for i in range(n)])
    if form == "descriptor":
        word = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 10)))
        if word in CRON_DESCRIPTORS:
            word += "x"
        bad_duration = rng.choice(["", str(rng.randint(1, 10 ** 6)), f"{rng.randint(1, 99)}x", "1h 30m", "s", "1hh", "--1s",
                                   f"{rng.randint(1, 9)}e3s", "P1D", "1.2.3s"])
        return form, rng.choice(["@" + word, "@" + word.upper(), "@every " + bad_duration])
    if form == "prefix":
        zone = rng.choice(["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo"])
        return form, rng.choice(["TZ=", "CRON_TZ="]) + zone + " " + cron_join(rng, [cron_value(rng, k) for k in range(1, 6)])
    if form == "blank":
        return form, "".join(rng.choice(" \t\n") for _ in range(rng.randint(1, 8)))
    size = rng.randint(2000, 20000)
    if rng.random() < 0.5:  # a huge, valid-looking list with one bad value in it
        values = [str(rng.randint(0, 59)) for _ in range(size // 3)]
        values.insert(rng.randrange(len(values)), str(60 + rng.randint(0, 999)))
        return form, cron_join(rng, ["0", ",".join(values), "*", "*", "*", "*"])
    return form, "".join(rng.choice(CRON_GARBAGE + "0123456789*") for _ in range(size))


def create_all(api, bodies, workers=16):
    """POSTs ScheduledJobs concurrently (one keep-alive connection per thread); returns, per body,
    (HTTP status, response). Retries what did not reach the API server."""
    def post(body):
        for _ in range(20):
            try:
                status, obj = api.req("POST", sjs_path(body["metadata"]["namespace"]), body, timeout=30)
            except ApiDown:
                time.sleep(0.5)
                continue
            if status not in (429, 500, 503, 504):
                return status, obj
            time.sleep(0.5)
        raise Abort(f"creating ScheduledJob {body['metadata']['name']}: the API server did not answer")
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        return list(pool.map(post, bodies))


class BadInput:
    """The bad-input corpus of one scenario, in its own namespace (the healthy ScheduledJobs
    stay in the scenario's, where analyse() checks them). Each item: kind, name, body, what must
    happen (`expect`: the Ready reason and a word its message must contain), and, once created,
    whether the API server admitted it (uid) or refused it (its message)."""

    def __init__(self, sc, args):
        self.sc, self.api, self.args = sc, sc.suite.api, args
        self.ns = sc.ns + "-corpus"
        self.rng = random.Random(f"badinput-{args.seed}")  # the same corpus for the same seed, whatever ran before
        self.items = []

    def add(self, kind, name, spec, expect, annotations=None):
        item = {"kind": kind, "name": name, "body": sj_body(self.ns, name, spec, annotations), "expect": expect}
        self.items.append(item)
        return item

    def spec(self, **overrides):
        return {"schedule": "* * * * * *", "startingDeadlineSeconds": self.args.deadline, "jobTemplate": job_template(), **overrides}

    def create(self, items, label, workers=16):
        """Creates `items` as one fault; an API refusal with a readable message counts as handled."""
        t0 = time.time()
        for item, (status, obj) in zip(items, create_all(self.api, [i["body"] for i in items], workers)):
            obj = obj or {}
            item["created_at"] = t0
            if status == 201:
                item["uid"] = obj["metadata"]["uid"]
            else:
                item["refused"] = f"HTTP {status} {obj.get('reason', '')}: {obj.get('message', '')}"
                if not (400 <= status < 500 and obj.get("message")):
                    self.sc.finding("badinput", item["name"], f"the API server refused it without a readable message: {item['refused'][:300]}")
        t1 = time.time()
        admitted = sum(1 for i in items if "uid" in i)
        self.sc.faults.append({"t": t0, "t_end": t1, "kind": f"bad input: {label}",
                               "detail": f"{len(items)} objects in {t1 - t0:.1f}s: {admitted} admitted, {len(items) - admitted} refused"})
        log(f"  fault: bad input: {label}: {len(items)} objects in {t1 - t0:.1f}s, {admitted} admitted")
        return t0, t1

    def list(self, what):
        return self.api.must("GET", (sjs_path(self.ns) if what == "sjs" else jobs_path(self.ns) if what == "jobs"
                                     else f"/api/v1/namespaces/{self.ns}/events"))["items"]

    def state(self):
        sjs = {sj["metadata"]["name"]: sj for sj in self.list("sjs")}
        events = collections.defaultdict(list)
        for e in self.list("events"):
            events[(e.get("involvedObject") or {}).get("uid")].append(e)
        return sjs, events

    @staticmethod
    def problems(item, sj, events):
        """What an admitted bad object still lacks: a Ready condition False with the expected
        reason and a message that names the field, the phase Invalid (a spec problem; an item's
        `phase` overrides it), a Warning Event with that reason."""
        if sj is None or sj["metadata"]["uid"] != item["uid"]:
            return ["it is gone"]
        reason, word = item["expect"]
        ready = condition(sj, "Ready")
        if ready is None:
            return ["no Ready condition"]
        out = []
        if ready.get("status") != "False":
            out.append(f"Ready is {ready.get('status')} ({ready.get('reason')}), not False")
        if ready.get("reason") != reason:
            out.append(f"Ready reason is {ready.get('reason')!r}, not {reason}")
        if word not in (ready.get("message") or ""):
            out.append(f"Ready message {(ready.get('message') or '')[:160]!r} does not name {word!r}")
        # Spec problems set phase Invalid; a refused run (RunStartFailed) and an item with
        # `phase` None (a reason sked retries: FlinkUnreachable, JarUnavailable) do not.
        phase = item.get("phase", None if reason == "RunStartFailed" else "Invalid")
        if phase and (sj.get("status") or {}).get("phase") != phase:
            out.append(f"phase is {(sj.get('status') or {}).get('phase')!r}, not {phase}")
        if not any(e.get("type") == "Warning" and e.get("reason") == reason for e in events.get(item["uid"], [])):
            out.append(f"no Warning Event with reason {reason}")
        return out

    def await_handled(self, items, timeout):
        """Polls until every admitted item is handled or `timeout` passes. Returns the seconds
        from their creation until all were (None: not all), {name: problems} of the last look,
        and that look's ScheduledJobs."""
        admitted = [i for i in items if "uid" in i]
        start = min((i["created_at"] for i in admitted), default=time.time())
        end = time.time() + timeout
        while True:
            sjs, events = self.state()
            missing = {i["name"]: p for i in admitted for p in [self.problems(i, sjs.get(i["name"]), events)] if p}
            if not missing:
                return time.time() - start, {}, sjs
            if time.time() > end:
                return None, missing, sjs
            self.sc.sleep(2.0)

    def report(self, items, label, took, missing, sjs):
        """Counts for the report; every object still missing something is a violation."""
        for name, problems in sorted(missing.items()):
            self.sc.finding("badinput", name, f"{label}: " + "; ".join(problems))
        admitted = [i for i in items if "uid" in i]
        messages = [(condition(sjs.get(i["name"], {}), "Ready") or {}).get("message") or "" for i in admitted]
        written = [parse_time(c["lastTransitionTime"]) for i in admitted for c in [condition(sjs.get(i["name"], {}), "Ready")] if c]
        row = {"objects": len(items), "admitted": len(admitted), "refused_at_admission": len(items) - len(admitted),
               "handled": len(items) - len(missing), "violations": len(missing),
               "all_handled_after_s": None if took is None else round(took, 1),
               "conditions_written_s": round(max(written) - min(i["created_at"] for i in admitted), 1) if written else None,
               "longest_message": max(map(len, messages), default=0), "example_message": min(messages, key=len, default="")[:200],
               "refused": sorted({i["refused"][:300] for i in items if "refused" in i}),
               "not_handled": {p: sorted(n for n, ps in missing.items() if p in ps) for p in {p for ps in missing.values() for p in ps}}}
        self.sc.details.setdefault("badinput", {})[label] = row
        line = (f"badinput    {label}: {len(items)} objects, {len(admitted)} admitted, {row['refused_at_admission']} refused "
                f"by the API server; {row['handled']} handled" + (f", all by {took:.1f}s after creation" if took is not None else "")
                + (f"; latest Ready transition {row['conditions_written_s']}s after creation" if written else ""))
        for m in row["refused"][:3]:
            line += f"\n               refused: {m[:150]}"
        for p, names in sorted(row["not_handled"].items(), key=lambda kv: -len(kv[1])):
            line += f"\n               NOT handled: {len(names)} x {p[:100]} ({', '.join(names[:3])}{', ...' if len(names) > 3 else ''})"
        self.sc.lines.append(line)

    def dump(self):
        """Forensics for the work folder: the corpus namespace's objects and Events."""
        with open(os.path.join(self.sc.suite.work, f"{self.sc.key}-corpus.json"), "w") as f:
            json.dump({"items": [{k: v for k, v in i.items() if k != "body"} for i in self.items],
                       "scheduledJobs": self.list("sjs"), "jobs": self.list("jobs"), "events": self.list("events")}, f, indent=1)


def corpus_invalid(bad, fuzz):
    """The objects that must end Invalid / RunStartFailed: fuzzed and classic schedules, unknown
    zones, two targets or none, and Job templates the API server rejects when the Job is created."""
    rng = bad.rng
    schedules = [("classic", s) for s in CRON_CLASSICS] + [invalid_schedule(rng) for _ in range(fuzz)]
    for i, (form, schedule) in enumerate(schedules):
        bad.add(f"schedule ({form})", f"cron-{i:03d}", bad.spec(schedule=schedule), ("InvalidSchedule", "spec.schedule"))
    for i, zone in enumerate(["Mars/Olympus", "UTC+25", "Europe/" + "x" * 293]):
        bad.add("time zone", f"zone-{i}", bad.spec(timeZone=zone), ("InvalidTimeZone", "spec.timeZone"))
    flink = {"jobManagerURL": "http://127.0.0.1:9", "jarURL": "http://127.0.0.1:9/job.jar"}
    bad.add("targets", "target-both", bad.spec(flinkJob=flink), ("InvalidSpec", "jobTemplate or flinkJob"))
    neither = bad.spec()
    del neither["jobTemplate"]
    bad.add("targets", "target-none", neither, ("InvalidSpec", "jobTemplate or flinkJob"))
    # The CRD passes jobTemplate.spec through; the Job's own validation refuses these.
    for name, template in [("job-uppercase-container", job_template(container="Main")),
                           ("job-restart-always", job_template(restart_policy="Always"))]:
        bad.add("Job refused", name, bad.spec(schedule="*/5 * * * * *", jobTemplate=template), ("RunStartFailed", "rejected Job"))
    # Numbers past their maxima (they once made the operator trap on every restart): the CRD
    # schema refuses them at apply time, which counts as handled when it says why.
    for field, spec in [("retry.limit", bad.spec(retry={"limit": 2**63 - 1})), ("runTimeoutSeconds", bad.spec(runTimeoutSeconds=10**10)),
                        ("startingDeadlineSeconds", bad.spec(startingDeadlineSeconds=2**63 - 1))]:
        bad.add("number bounds", "bound-" + field.replace(".", "-").lower(), spec, ("InvalidSpec", f"spec.{field}"))
    # Deeper than a JSON decoder reads (the API server admits it): it once failed every list page
    # and watch event it was in, so that nothing in the cluster was reconciled any more.
    deep = 1
    for _ in range(600):
        deep = {"a": deep}
    bad.add("undecodable", "deep-600", bad.spec(jobTemplate={"spec": {"template": deep}}), ("Undecodable", "nested 60"))
    return list(bad.items)
