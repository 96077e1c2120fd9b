"""What the Python harnesses share (scripts/chaos/run.py, benchmarks/bench.py).

  api.py    the API server connection both clients build on (address, CA, bearer token,
            one keep-alive connection per thread)
  proc.py   log lines, free loopback ports, processes by PID (alive? gone yet?)
  times.py  RFC 3339 to epoch seconds and back, clock times for reports, percentiles


The entry points put scripts/ on sys.path and import `harness.<module>`.
"""
