#!/usr/bin/env bash
# Fetches (once per machine) and caches Apache Flink 2.3.0 for the Flink integration tests,
# from PyPI's apache-flink wheels (the only place this machine can get Flink from), and
# builds the test job JAR from Tests/Fixtures/flink (again whenever its source is newer).
# Idempotent and safe to run concurrently (flock): a second run only checks.
#
#   scripts/flink-assets.sh     prints, on stdout:
#                                 export FLINK_HOME=<cache>/flink-2.3.0/dist/pyflink
#                                 export SKED_TEST_FLINK_JAR=<cache>/flink-2.3.0/sked-flink-testjob.jar
#                               (logs go to stderr), so `eval "$(scripts/flink-assets.sh)"` works.
#
# Cache: ${SKED_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sked}/flink-2.3.0/{wheels,dist,testjob-classes}.
# The cached FLINK_HOME is never configured in place: scripts/flink-cluster.sh points
# FLINK_CONF_DIR at a copy of its conf/ in the cluster's own folder.
set -euo pipefail

FLINK_VERSION=2.3.0
STAMP_VERSION=1   # bump to force a re-extraction of the cached FLINK_HOME after a recipe change
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
SRC="$ROOT/Tests/Fixtures/flink/src"
MAIN_CLASS=dev.sked.testjob.TestJob
CACHE="${SKED_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sked}/flink-$FLINK_VERSION"
WHEELS="$CACHE/wheels"
DIST="$CACHE/dist"
FLINK_HOME_DIR="$DIST/pyflink"
JAR="$CACHE/sked-flink-testjob.jar"

log() { echo "flink-assets: $*" >&2; }
die() { echo "flink-assets: FATAL: $*" >&2; exit 1; }
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"

# --- tools ---------------------------------------------------------------------------
# Java 17 comes with this machine type; on a machine without it, install Debian's JDK.
if ! command -v java >/dev/null || ! command -v javac >/dev/null || ! command -v jar >/dev/null; then
  log "java/javac/jar missing: installing Debian's openjdk-17-jdk-headless"
  { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq openjdk-17-jdk-headless >/dev/null; } \
    || die "could not install openjdk-17-jdk-headless; Flink 2.3 needs java, javac and jar (JDK 11, 17 or 21) on PATH"
fi
for t in java javac jar python3 curl; do
  command -v "$t" >/dev/null || die "'$t' is not on PATH (needed for the Flink tests)"
done
jv="$(java -version 2>&1 | sed -n 's/.*version "\([0-9][0-9]*\).*/\1/p' | head -1)"
case "$jv" in
  11|17|21) ;;
  *) die "java on PATH is version '${jv:-unknown}'; Flink $FLINK_VERSION needs 11, 17 or 21 ($(command -v java))" ;;
esac
python3 -m pip --version >/dev/null 2>&1 || die "python3 -m pip is not available (needed to fetch Flink from PyPI)"

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9

# --- Flink distribution (bin/, conf/, lib/, opt/, plugins/) from the two wheels -------
# apache-flink-libraries (~330 MB, pure) holds lib/ opt/ plugins/; apache-flink (~3 MB,
# per CPython version) holds bin/ and conf/. Only their files are used, never the Python
# package, so the apache-flink wheel is pinned to cp311 whatever python3 this is.
if [ "$(cat "$DIST/.recipe" 2>/dev/null)" != "$STAMP_VERSION" ] \
   || [ ! -f "$FLINK_HOME_DIR/lib/flink-dist-$FLINK_VERSION.jar" ] || [ ! -f "$FLINK_HOME_DIR/bin/jobmanager.sh" ]; then
  mkdir -p "$WHEELS"
  if ! ls "$WHEELS"/apache_flink_libraries-"$FLINK_VERSION"-*.whl >/dev/null 2>&1; then
    log "downloading apache-flink-libraries==$FLINK_VERSION from PyPI (~330 MB)"
    python3 -m pip download -q --no-deps --only-binary=:all: -d "$WHEELS" "apache-flink-libraries==$FLINK_VERSION" >&2 \
      || die "pip download apache-flink-libraries==$FLINK_VERSION failed"
  fi
  if ! ls "$WHEELS"/apache_flink-"$FLINK_VERSION"-*.whl >/dev/null 2>&1; then
    log "downloading apache-flink==$FLINK_VERSION from PyPI"
    python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.11 --implementation cp \
      -d "$WHEELS" "apache-flink==$FLINK_VERSION" >&2 \
      || die "pip download apache-flink==$FLINK_VERSION failed"
  fi
  log "unpacking Flink $FLINK_VERSION into $DIST"
  tmp="$CACHE/dist.tmp.$$"
  rm -rf "$tmp"; mkdir -p "$tmp"
  for w in "$WHEELS"/apache_flink_libraries-"$FLINK_VERSION"-*.whl "$WHEELS"/apache_flink-"$FLINK_VERSION"-*.whl; do
    python3 -m zipfile -e "$w" "$tmp" || { rm -rf "$tmp"; die "could not unpack $w (corrupt download? delete $WHEELS and retry)"; }
  done
  [ -f "$tmp/pyflink/lib/flink-dist-$FLINK_VERSION.jar" ] && [ -f "$tmp/pyflink/bin/jobmanager.sh" ] && [ -f "$tmp/pyflink/conf/config.yaml" ] \
    || { rm -rf "$tmp"; die "the wheels do not contain pyflink/lib/flink-dist-$FLINK_VERSION.jar, bin/jobmanager.sh and conf/config.yaml"; }
  chmod +x "$tmp"/pyflink/bin/*
  mkdir -p "$tmp/pyflink/log"
  echo "$STAMP_VERSION" > "$tmp/.recipe"
  rm -rf "$DIST"; mv "$tmp" "$DIST"
  rm -f "$JAR"   # a new distribution: rebuild the job against it
fi

# --- test job JAR -------------------------------------------------------------------
[ -d "$SRC" ] || die "test job source $SRC is missing"
if [ ! -f "$JAR" ] || [ -n "$(find "$SRC" -type f -newer "$JAR" -print -quit)" ] || [ "$HERE/flink-assets.sh" -nt "$JAR" ]; then
  log "building $JAR from $SRC"
  classes="$CACHE/testjob-classes"
  rm -rf "$classes"; mkdir -p "$classes"
  mapfile -t sources < <(find "$SRC" -name '*.java' | sort)
  [ "${#sources[@]}" -gt 0 ] || die "no .java files under $SRC"
  javac -nowarn --release 11 -encoding UTF-8 -cp "$FLINK_HOME_DIR/lib/*" -d "$classes" "${sources[@]}" >&2 \
    || die "javac failed for the Flink test job"
  jar cfe "$JAR.tmp.$$" "$MAIN_CLASS" -C "$classes" . >&2 || die "jar failed for the Flink test job"
  mv "$JAR.tmp.$$" "$JAR"
fi

echo "export FLINK_HOME=$FLINK_HOME_DIR"
echo "export SKED_TEST_FLINK_JAR=$JAR"
