#!/usr/bin/env bash
# Starts the local control plane and keeps it running until Ctrl-C.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DIR="$(mktemp -d "${TMPDIR:-/tmp}/sked-demo.XXXXXX")"
trap '"$HERE/control-plane.sh" stop "$DIR"; rm -rf "$DIR"; echo "demo: stopped"' EXIT
trap 'exit 130' INT TERM
"$HERE/control-plane.sh" start "$DIR" >/dev/null
echo "demo: a local kube-apiserver is running. In another shell:"
echo "  export KUBECONFIG=$DIR/admin.kubeconfig"
echo "  kubectl get namespaces"
echo "demo: Ctrl-C stops everything this started."
while sleep 3600; do :; done
