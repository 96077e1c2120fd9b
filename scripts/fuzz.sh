#!/usr/bin/env bash
# Fuzzes the cron engine, the watch-stream decoder and the admission webhook's answer with libFuzzer, each for SECONDS
# (default 60), starting from a copy of the checked-in seeds in Fuzz/Corpus/.
#
#   scripts/fuzz.sh [SECONDS] [FUZZER...]     FUZZER: CronFuzzer, WatchDecoderFuzzer, AdmissionReviewFuzzer (default all)
#
# Exit 1 if libFuzzer reports a crash, a property violation, a hang (> 10 s for one input) or
# an out-of-memory; the reproducer is printed and kept under .build/fuzz/findings/. Replay one
# with `.build/fuzz/debug/<FUZZER> <file>`.
#
# The fuzzers are only declared with SKED_FUZZ=1 and build in their own scratch path, so
# the ordinary build in .build/ neither compiles nor relinks anything for them.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"

seconds="${1:-60}"
shift || true
fuzzers=("$@")
[ ${#fuzzers[@]} -gt 0 ] || fuzzers=(CronFuzzer WatchDecoderFuzzer AdmissionReviewFuzzer)
scratch=.build/fuzz
findings="$scratch/findings"

corpus_of() {
    case "$1" in
        CronFuzzer) echo Fuzz/Corpus/cron ;;
        WatchDecoderFuzzer) echo Fuzz/Corpus/watch ;;
        AdmissionReviewFuzzer) echo Fuzz/Corpus/admission ;;
        *) echo "unknown fuzzer $1" >&2; exit 2 ;;
    esac
}

# -sanitize=fuzzer instruments every Swift module for coverage and links libFuzzer; each
# fuzzer's main.swift hands control to libFuzzer's driver (SwiftPM points an executable's
# entry at its top-level code, so libFuzzer's own main() is not used). No AddressSanitizer:
# Swift's traps (overflow, bounds, force-unwrap, fatalError) are what libFuzzer reports as
# crashes, and a debug build keeps the bounds checks of the unsafe buffer pointers the
# protobuf reader works on.
build_start=$SECONDS
for fuzzer in "${fuzzers[@]}"; do
    corpus_of "$fuzzer" >/dev/null
    SKED_FUZZ=1 swift build --quiet --scratch-path "$scratch" -Xswiftc -sanitize=fuzzer --product "$fuzzer"
done
echo "fuzz: build took $((SECONDS - build_start)) s"

work=$(mktemp -d "${TMPDIR:-/tmp}/sked-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$findings"
failed=()
for fuzzer in "${fuzzers[@]}"; do
    corpus="$work/$fuzzer"
    mkdir -p "$corpus" "$work/$fuzzer-artifacts"
    cp "$(corpus_of "$fuzzer")"/* "$corpus"/
    log="$work/$fuzzer.log"
    echo "fuzz: $fuzzer for ${seconds} s (seeds: $(corpus_of "$fuzzer"))"
    status=0
    # SWIFT_BACKTRACE=enable=no: let libFuzzer's signal handler see the trap at once (the
    # Swift backtracer would spend seconds symbolicating first) and write the reproducer.
    SWIFT_BACKTRACE=enable=no "$scratch/debug/$fuzzer" "$corpus" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 -max_len=4096 \
        -print_final_stats=1 -artifact_prefix="$work/$fuzzer-artifacts/" >"$log" 2>&1 || status=$?
    # Progress lines look like "#12345  DONE  cov: 812 ft: 2301 corp: 120/9Kb ... exec/s: 4115 rss: 80Mb".
    last=$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    corp=$(sed -n 's/.* corp: \([^ ]*\).*/\1/p' <<<"$last")
    echo "fuzz: $fuzzer: ${execs:-?} execs in ${seconds} s (${rate:-?} exec/s), coverage ${cov:-?} edges, ${ft:-?} features, corpus ${corp:-?}"
    if [ "$status" -ne 0 ]; then
        failed+=("$fuzzer")
        grep -E 'Fatal error|property violated|ERROR: libFuzzer|SUMMARY|deadly signal|timeout|out-of-memory' "$log" | head -n 20 || true
        for artifact in "$work/$fuzzer-artifacts"/*; do
            [ -e "$artifact" ] || continue
            kept="$findings/$fuzzer-$(basename "$artifact")"
            cp "$artifact" "$kept"
            echo "fuzz: $fuzzer FAILED (exit $status); reproducer: $kept"
            echo "fuzz: replay: SWIFT_BACKTRACE=enable=no $scratch/debug/$fuzzer $kept"
        done
        cp "$log" "$findings/$fuzzer.log"
        echo "fuzz: full log: $findings/$fuzzer.log"
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: FAILED: ${failed[*]}"
    exit 1
fi
echo "fuzz: OK"
