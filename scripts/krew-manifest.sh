#!/usr/bin/env bash
# Writes the krew plugin manifest for `kubectl sked` to stdout, for a release archive that
# holds the binary as `kubectl-sked` (make krew builds both):
#   scripts/krew-manifest.sh VERSION DOWNLOAD_URL ARCHIVE
# The sha256 is the archive's own, so the manifest is only ever made from the file users get.
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: $0 VERSION DOWNLOAD_URL ARCHIVE" >&2; exit 2; }
version=$1 url=$2 archive=$3
[ -f "$archive" ] || { echo "krew-manifest: $archive: no such file" >&2; exit 2; }
tar tzf "$archive" | grep -qx 'kubectl-sked' || { echo "krew-manifest: $archive does not hold kubectl-sked at its top" >&2; exit 2; }
sha=$(sha256sum "$archive" | cut -d' ' -f1)
cat <<YAML
apiVersion: krew.googlecontainertools.github.com/v1alpha2
kind: Plugin
metadata:
  name: sked
spec:
  version: v${version#v}
  homepage: https://github.com/sked-dev/sked
  shortDescription: Run now, stop, suspend and inspect sked ScheduledJobs
  description: |
    kubectl sked drives ScheduledJobs (sked.dev/v1alpha1) of the sked operator:
    run-now, stop, suspend, resume, history, next (the coming fire times) and lint
    (the operator's own validation, offline). It reads your kubeconfig as kubectl
    does, exec credential plugins (EKS, GKE, AKS) included.
  platforms:
  - selector:
      matchLabels:
        os: linux
        arch: amd64
    uri: $url
    sha256: $sha
    bin: kubectl-sked
    files:
    - from: kubectl-sked
      to: .
YAML
