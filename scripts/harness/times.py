"""Time helpers shared by the Python harnesses: RFC 3339 both ways, clock times, percentiles."""
import datetime as dt


def parse_time(s):
    """RFC 3339 (with or without fractional seconds) to epoch seconds."""
    if s is None:
        return None
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def rfc3339(t):
    """Epoch seconds to RFC 3339 in whole seconds (truncated), UTC."""
    return dt.datetime.fromtimestamp(int(t), dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso(t):
    """Epoch seconds (a float, as it is) to RFC 3339 in whole seconds, UTC."""
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def hms(t):
    """Local clock time with milliseconds, for reports; '-' for None."""
    if t is None:
        return "-"
    return dt.datetime.fromtimestamp(t).strftime("%H:%M:%S.%f")[:-3]


def pct(values, p):
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    v = sorted(values)
    return v[max(0, min(len(v) - 1, int(-(-p * len(v) // 100)) - 1))]
