"""The `badinput` scenario: a corpus of bad ScheduledJobs (fuzzed/classic schedules, zones,
targets, Job templates the API refuses, 10 KiB tokens, a 253-character name, hostile Flink URLs,
1,000 invalid at once) beside the healthy ones: each gets Ready=False + a Warning Event."""
import base64
import json
import time

import hostile_corpus  # hostile Flink URLs (issue #17)
from common import LABEL
from corpus import BadInput, corpus_invalid, invalid_schedule
from harness.times import hms, pct
from kube import condition, owner_uid, sjs_path
from scenario import start_one_operator


def check_long_name(bad, item, timeout):
    """A 253-character name is valid: it must run, with Job names (and label values) of at most 63."""
    end = time.time() + timeout
    jobs = []
    while time.time() < end:
        jobs = [j for j in bad.list("jobs") if owner_uid(j) == item.get("uid")]
        if len(jobs) >= 2:
            break
        bad.sc.sleep(0.5)
    names = sorted(j["metadata"]["name"] for j in jobs)
    labels = {(j["metadata"].get("labels") or {}).get(LABEL) for j in jobs}
    problems = []
    if len(jobs) < 2:
        problems.append(f"{len(jobs)} Job(s) after {timeout:g}s on '*/2 * * * * *' (expected at least 2)")
    problems += [f"Job name {n} has {len(n)} characters (> 63)" for n in names if len(n) > 63]
    problems += [f"label {LABEL}={v} has {len(v or '')} characters" for v in labels if not v or len(v) > 63]
    sj = bad.api.must("GET", f"{sjs_path(bad.ns)}/{item['name']}")
    ready = condition(sj, "Ready") or {}
    if ready.get("status") != "True":
        problems.append(f"Ready is {ready.get('status')} ({ready.get('reason')}: {ready.get('message')})")
    for p in problems:
        bad.sc.finding("badinput", item["name"], f"253-character name: {p}")
    bad.sc.lines.append(f"badinput    253-character name: {len(jobs)} Jobs within {timeout:g}s, e.g. {names[:1]} "
                        f"({max(map(len, names), default=0)} characters at most)" + (f"; {len(problems)} problem(s)" if problems else ""))
    bad.sc.details.setdefault("badinput", {})["253-character name"] = {"jobs": names, "violations": len(problems)}


def check_tokens(bad, item, stop_token, timeout):
    """10 KiB run-now and stop tokens (README: every new value acts once). The stop is applied
    as soon as the run-now Job exists, as `kubectl sked run-now` then `stop` would: the run-now
    token must have started exactly one run (one Job uid), the stop token must have cancelled
    it (Job gone, history Cancelled, status.lastStopToken), status.lastRunNowToken is the
    run-now token; neither token appears in an operator log (tokens are never logged)."""
    run_token = item["body"]["metadata"]["annotations"]["sked.dev/run-now"]
    path = f"{sjs_path(bad.ns)}/{item['name']}"
    seen = {}  # uid -> (Job name, first seen)

    def manual_jobs():
        jobs = [j for j in bad.list("jobs") if owner_uid(j) == item.get("uid")
                and (j["metadata"].get("annotations") or {}).get("sked.dev/trigger") == "manual"]
        for j in jobs:
            seen.setdefault(j["metadata"]["uid"], (j["metadata"]["name"], hms(time.time())))
        return jobs

    def settled():
        st = bad.api.must("GET", path).get("status") or {}
        return st.get("lastStopToken") == stop_token and not manual_jobs()

    def wait(pred):
        end = time.time() + timeout
        while time.time() < end and not pred():
            bad.sc.sleep(0.25)

    wait(manual_jobs)
    t_stop = time.time()
    bad.api.must("PATCH", path, {"metadata": {"annotations": {"sked.dev/stop": stop_token}}}, "application/merge-patch+json")
    wait(settled)
    sj = bad.api.must("GET", path)
    st = sj.get("status") or {}
    left = manual_jobs()
    problems = []
    if len(seen) != 1:
        problems.append(f"the 10 KiB run-now token made {len(seen)} Jobs (uid, name, first seen): "
                        + "; ".join(f"{u[:8]} {n} {t}" for u, (n, t) in seen.items()) + f"; stop token applied {hms(t_stop)}")
    if st.get("lastRunNowToken") != run_token:
        problems.append("status.lastRunNowToken is not the 10 KiB run-now token")
    if st.get("lastStopToken") != stop_token:
        problems.append("status.lastStopToken is not the 10 KiB stop token (the stop was not handled)")
    if left:
        problems.append(f"Job {left[0]['metadata']['name']} (uid {left[0]['metadata']['uid'][:8]}) still exists "
                        f"{time.time() - t_stop:.0f}s after the stop token")
    cancelled = [h for h in st.get("history") or [] if h.get("trigger") == "manual" and h.get("result") == "Cancelled"]
    if seen and not cancelled:
        problems.append(f"status.history has no Cancelled manual run: {[(h.get('name'), h.get('result')) for h in st.get('history') or []]}")
    if (condition(sj, "Ready") or {}).get("status") != "True":
        problems.append(f"Ready is not True: {condition(sj, 'Ready')}")
    bad.sc.after_checks.append(lambda: check_tokens_unlogged(bad.sc, item["name"], (run_token, stop_token)))
    for p in problems:
        bad.sc.finding("badinput", item["name"], p)
    bad.sc.lines.append(f"badinput    10 KiB tokens: run-now made {len(seen)} Job(s), stop cancelled {len(cancelled)}, "
                        f"{len(left)} left" + (f"; {len(problems)} problem(s)" if problems else ""))
    bad.sc.details.setdefault("badinput", {})["10 KiB tokens"] = {"manual_job_uids": len(seen), "cancelled": len(cancelled),
                                                                 "left": len(left), "violations": len(problems)}


def check_tokens_unlogged(sc, name, tokens):
    for op in sc.operators:
        with open(op.log_path, "rb") as f:
            text = f.read()
        for which, token in zip(("run-now", "stop"), tokens):
            if token[:64].encode() in text:
                sc.finding("badinput", name, f"the {which} token appears in operator log {op.log_path} (tokens are never logged)")


def scenario_badinput(sc, args, rng):
    """One operator on two namespaces: the usual healthy ScheduledJobs fire in the scenario's,
    while a corpus of bad objects goes into the other: fuzzed and classic invalid schedules,
    unknown time zones, two targets or none, Job templates the API server refuses, 10 KiB
    run-now/stop tokens, a 253-character name, hostile jobManagerURLs and URLs with user info
    (hostile_corpus.py), then a burst of --badinput-burst ScheduledJobs with invalid schedules. Every admitted bad object must get Ready=False with its reason, a
    message naming the field and a Warning Event (refusals by the API server must say why); the
    valid odd ones must work; the operator must not crash; analyse() checks that the healthy
    ones kept firing on time meanwhile (liveness, deadline)."""
    bad = BadInput(sc, args)
    bad.api.must("POST", "/api/v1/namespaces", {"metadata": {"name": bad.ns}}, ok=(201,))
    # 127.0.0.1 denied again (the hostile servers listen on 127.0.0.3): "localhost" resolves into it.
    start_one_operator(sc, ["--namespace", bad.ns] + hostile_corpus.BADINPUT_OPERATOR_ARGS)
    yield "ready"
    sc.sleep(args.warmup)
    invalid = corpus_invalid(bad, args.badinput_fuzz)
    long_name = bad.add("valid", ("long-name-" + "0123456789abcdef" * 16)[:252] + "z", bad.spec(schedule="*/2 * * * * *"), None)
    token = lambda: "".join(bad.rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") for _ in range(10240))
    tokens = bad.add("valid", "tokens-10k", bad.spec(suspend=True), None, annotations={"sked.dev/run-now": token()})
    # A header Secret whose value HTTP cannot carry: its error text once carried the value into
    # status, an Event and the log (readable by people who may not read Secrets).
    secret = "TOPSECRET-" + token()[:48] + "\x01rest"
    bad.api.must("POST", f"/api/v1/namespaces/{bad.ns}/secrets",
                 {"metadata": {"name": "flink-auth", "labels": {"sked.dev/flink-headers": "true"}},
                  "data": {"Authorization": base64.b64encode(secret.encode()).decode()}}, ok=(201,))
    header = bad.spec(schedule="*/2 * * * * *", flinkJob={"jobManagerURL": "http://127.0.0.1:9", "jarURL": "http://127.0.0.1:9/job.jar",
                                                             "headersSecretRef": {"name": "flink-auth"}})
    del header["jobTemplate"]
    invalid.append(bad.add("secret header", "secret-header", header, ("RunStartFailed", 'key "Authorization" of Secret flink-auth')))
    hostile = hostile_corpus.jobmanager_corpus(bad)  # hostile jobManagerURLs and user info (issue #17)
    try:
        hostile.start_watch()
        bad.create(bad.items, f"corpus of {len(bad.items)}")
        check_tokens(bad, tokens, token(), 10)
        check_long_name(bad, long_name, 10)
        took, missing, sjs = bad.await_handled(invalid, 20)
        for kind in dict.fromkeys(i["kind"].split(" (")[0] for i in invalid):
            items = [i for i in invalid if i["kind"].split(" (")[0] == kind]
            bad.report(items, kind, took, {i["name"]: missing[i["name"]] for i in items if i["name"] in missing}, sjs)
        # Thousands failing at once.
        burst = [bad.add("burst", f"burst-{i:04d}", bad.spec(schedule=invalid_schedule(bad.rng, long=False)[1]), ("InvalidSchedule", "spec.schedule"))
                 for i in range(args.badinput_burst)]
        t0, _ = bad.create(burst, f"burst of {len(burst)}", workers=32)
        took, missing, sjs = bad.await_handled(burst, 30)
        bad.report(burst, f"burst of {len(burst)}", took, missing, sjs)
        t_done = time.time()
        hostile.check()  # after the burst: the slow-loris JobManager takes sked's 30 s request timeout
        hostile.suspend()
    finally:
        hostile.close()
    sc.after_checks.append(lambda: report_burst_lag(sc, t0, t_done))
    sc.after_checks.append(lambda: check_secret_unseen(bad, "secret-header", secret))
    sc.after_checks.append(hostile.check_secrets_unseen)
    bad.dump()


def check_secret_unseen(bad, name, secret):
    """A Secret's value is in no ScheduledJob, no Event and no operator log line."""
    needle = secret[:40]
    places = {"ScheduledJobs": json.dumps(bad.list("sjs")), "Events": json.dumps(bad.list("events"))}
    for op in bad.sc.operators:
        with open(op.log_path, "rb") as f:
            places[f"operator log {op.log_path}"] = f.read().decode("utf-8", "replace")
    for where, text in places.items():
        if needle in text:
            bad.sc.finding("badinput", name, f"the Secret's header value appears in {where}")
    bad.sc.lines.append(f"badinput    secret header value: looked for in {len(places)} places, "
                        + ("found" if any(needle in t for t in places.values()) else "never seen"))


def report_burst_lag(sc, t0, t1):
    """The healthy ScheduledJobs' schedule lag for ticks while the burst was created and handled
    (what must hold is checked by analyse: deadline and liveness)."""
    lags = [r.seen_at - r.sched for r in sc.recorder.snapshot()
            if r.rv_created is not None and r.sched is not None and t0 <= r.sched <= t1]
    gaps = []
    for name, x in sc.sjs.items():
        if x["policy"] == "Allow":
            points = [t0] + sorted(r.seen_at for r in sc.recorder.snapshot() if r.sj == name and t0 < r.seen_at < t1) + [t1]
            gaps.append(max(b - a for a, b in zip(points, points[1:])))
    sc.details["burst_healthy_lag_s"] = {"window_s": round(t1 - t0, 1), "jobs": len(lags), "p50": pct(lags, 50),
                                         "p99": pct(lags, 99), "max": max(lags, default=None),
                                         "longest_allow_gap_s": round(max(gaps, default=0), 2)}
    sc.lines.append(f"burst lag   {len(lags)} healthy Jobs for ticks in the {t1 - t0:.0f}s of the burst: "
                    + (f"lag p50 {pct(lags, 50):.2f}s, p99 {pct(lags, 99):.2f}s, max {max(lags):.2f}s" if lags else "NONE")
                    + f"; longest time an Allow ScheduledJob had no new Job {max(gaps, default=0):.1f}s")
