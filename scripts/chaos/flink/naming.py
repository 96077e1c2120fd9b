"""sked's run names (RunNaming) and Flink job ids (FlinkJobID.derive), recomputed here so that
every Flink job can be traced to the tick it ran for."""
from common import Abort


def fnv1a_hex(s, length):
    """RunNaming.hash: FNV-1a 64 over the UTF-8 bytes, 16 lowercase hex digits, first `length`."""
    h = 0xCBF29CE484222325
    for b in s.encode():
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return format(h, "016x")[:length]


def run_name(sj, tick, attempt=1):
    """RunNaming.runName for a scheduled tick (RunNaming.fit: shortened with a hash beyond 63)."""
    suffix = str(int(tick)) if attempt == 1 else f"{int(tick)}-r{attempt}"
    full = f"{sj}-{suffix}"
    if len(full) <= 63:
        return full
    p = sj[:max(1, 63 - len(suffix) - 12)]
    while len(p) > 1 and not p[-1].isalnum():
        p = p[:-1]
    return f"{p}-{fnv1a_hex(sj, 10)}-{suffix}"


def flink_job_id(uid, name):
    """FlinkJobID.derive(scheduledJobUID:runName:): two FNV-1a hashes of "<uid>/<run name>"."""
    identity = f"{uid}/{name}"
    return fnv1a_hex("a:" + identity, 16) + fnv1a_hex("b:" + identity, 16)


def self_test():
    # The published FNV-1a 64 test vectors; the operator's own ids are compared against this
    # derivation again at the end (every status.history/active entry carries one).
    for s, want in (("", "cbf29ce484222325"), ("a", "af63dc4c8601ec8c"), ("foobar", "85944171f73967e8")):
        if fnv1a_hex(s, 16) != want:
            raise Abort(f"FNV-1a self-test failed for {s!r}: {fnv1a_hex(s, 16)} != {want}")
    if len(flink_job_id("u", "n")) != 32:
        raise Abort("FlinkJobID derivation does not give 32 hex digits")
