#!/usr/bin/env bash
# Stamps the git commit and build date into Sources/Operator/BuildInfo.swift for a release
# build, runs the given build command, then restores the file so the tree stays clean.
#   scripts/stamp-build-info.sh swift build -c release --product sked
set -euo pipefail
cd "$(dirname "$0")/.."
f=Sources/Operator/BuildInfo.swift
# The copy is kept outside Sources/, where SwiftPM would see it and `git add` could take it.
backup="$(mktemp)"
cp -p "$f" "$backup"
trap 'cp -p "$backup" "$f" && rm -f "$backup"' EXIT
commit="$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
sed -i "s/static let commit = \"unknown\"/static let commit = \"$commit\"/; s/static let buildDate = \"unknown\"/static let buildDate = \"$date\"/" "$f"
"$@"
