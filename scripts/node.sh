#!/usr/bin/env bash
# A real single node for a control plane started by scripts/control-plane.sh, so Jobs really
# run: containerd + runc + a bridge CNI network, kube-scheduler, a kubelet and kube-proxy
# (v1.20.2, built from the same Debian source tree), with images built locally from busybox
# (no registry).
# Normally started through `SKED_NODE=1 scripts/control-plane.sh start|run`.
#
#   scripts/node.sh start DIR   DIR: a folder started by `control-plane.sh start DIR`. Starts the
#                               node, waits until it is Ready and a smoke pod has run, records the
#                               PIDs in DIR/pids and appends SKED_TEST_NODE to DIR/env
#   scripts/node.sh stop DIR    kills every container, stops the node's processes, unmounts
#                               everything under DIR/node and deletes the bridge; idempotent
#
# Everything lives under DIR/node (containerd root/state/socket, kubelet root, CNI config and IP
# allocations) with its own bridge name and subnet, so nodes of several control planes can run
# side by side. SKED_NODE_NAME (default localhost) names the node: it must resolve to 127.0.0.1,
# as the API server reaches the kubelet (`kubectl logs`) by the node's hostname.
# Needs root (containers, mounts, network).
#
# Pods reach the API server through the `kubernetes` Service (10.0.0.1:443, what in-cluster
# clients read from KUBERNETES_SERVICE_HOST/PORT), so an operator can run as a pod: the API
# server listens on the host's loopback only, and an Endpoints address may not be a loopback
# one, so the Service has no endpoints for kube-proxy to program; one DNAT rule of this node
# (its own nat chain, only for packets from its bridge, with route_localnet on the bridge)
# sends 10.0.0.1:443 to 127.0.0.1:<API server port>. Every other Service is kube-proxy's
# (iptables mode, --masquerade-all so pod -> Service -> pod on one bridge works without
# br_netfilter). One kube-proxy per host: a second node started beside a running one gets none
# (its pods still reach the API server), since two would overwrite each other's chains.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# shellcheck source=lib/processes.sh
. "$HERE/lib/processes.sh"
log() { echo "node: $*" >&2; }
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"

NODE="${SKED_NODE_NAME:-localhost}"
IMAGE_NS=k8s.io
# What a node changes outside DIR, whatever its flags: the kernel settings the kubelet rewrites
# at start (vm.overcommit_memory=1, kernel.panic=10, kernel.panic_on_oops=1, ...) and folders at
# fixed paths (kubelet 1.20's device-plugin socket, pod logs, CNI result caches, shim sockets).
# The first node on this host saves the settings and notes which folders did not exist yet; the
# last one to stop (nodes of several control planes may overlap) puts both back.
TUNABLES="vm/overcommit_memory vm/panic_on_oom kernel/panic kernel/panic_on_oops kernel/keys/root_maxkeys kernel/keys/root_maxbytes net/ipv4/ip_forward net/ipv4/conf/all/route_localnet"
HOST_DIRS="/var/lib/kubelet /var/log/pods /var/log/containers /var/lib/cni /run/containerd"
HOST_STATE=/run/sked-node   # sysctl.saved, new-dirs, users (the DIR of each running node)

paths() { # sets the node's paths for control plane folder $1
  D="$(cd "$1" && pwd -P)"
  N="$D/node"
  SOCK="$N/containerd.sock"
  CTR=(timeout 20 ctr --address "$SOCK" -n "$IMAGE_NS")
  TASKS="$N/containerd/state/io.containerd.runtime.v2.task/$IMAGE_NS"
  # nat chain names are at most 28 characters
  API_CHAIN="SKED-API-$(printf '%s' "$D" | sha256sum | cut -c1-8)"
}

# A bridge name (at most 15 characters) and a /24 derived from DIR, so side-by-side nodes differ.
net_names() {
  local h; h="$(printf '%s' "$D" | sha256sum | cut -c1-8)"
  BRIDGE="skd$h"
  local third=$(( 16#${h:0:2} ))
  SUBNET=""
  for i in $(seq 0 255); do
    local n=$(( (third + i) % 256 )) s
    s="10.245.$n.0/24"
    # skip subnets already routed on this host (another node, a VPN, ...)
    if ! ip -4 route show | grep -q "^10\.245\.$n\.0/24 "; then SUBNET="$s"; break; fi
  done
  [ -n "$SUBNET" ] || { log "FATAL: no free /24 in 10.245.0.0/16 for the pod network"; exit 1; }
}

api() { # PATH [curl args...]: the API server as admin
  local server token
  server="$(awk '/server:/{print $2; exit}' "$D/admin.kubeconfig")"
  token="$(awk '/token:/{print $2; exit}' "$D/admin.kubeconfig")"
  curl -s --max-time 10 --cacert "$D/certs/apiserver.crt" -H "Authorization: Bearer $token" "$server$1" "${@:2}"
}

pid_of() { [ -f "$D/pids" ] || return 0; awk -v n="$1" '$2==n {print $1}' "$D/pids" | tail -1; }
alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

# fail MESSAGE: one clear line, everything started so far stopped, non-zero exit.
fail() {
  stop_node >/dev/null 2>&1 || true
  log "FATAL: $*"
  exit 1
}

install_packages() {
  local need=()
  command -v containerd >/dev/null || need+=(containerd)
  command -v runc >/dev/null || need+=(runc)
  [ -x /usr/lib/cni/bridge ] && [ -x /usr/lib/cni/host-local ] && [ -x /usr/lib/cni/loopback ] || need+=(containernetworking-plugins)
  command -v iptables >/dev/null || need+=(iptables)
  command -v ip >/dev/null || need+=(iproute2)
  command -v jq >/dev/null || need+=(jq)
  if [ "${#need[@]}" -gt 0 ]; then
    log "installing ${need[*]}"
    $SUDO apt-get update -qq
    # policy-rc.d or not, the packaged containerd service is not ours: we start our own.
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
}

write_configs() {
  mkdir -p "$N/containerd/root" "$N/containerd/state" "$N/containerd/opt" "$N/cni/net.d" "$N/cni/ipam" \
    "$N/kubelet" "$N/pki" "$N/volume-plugins"
  cat > "$N/containerd/config.toml" <<TOML
version = 2
root = "$N/containerd/root"
state = "$N/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = "$SOCK"
[ttrpc]
  address = "$SOCK.ttrpc"
[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "$N/containerd/opt"

[plugins."io.containerd.grpc.v1.cri"]
  # no AppArmor profile to load here
  disable_apparmor = true
  # without it runc dies with "can't get final child's PID from pipe: EOF"; the cause is
  # "failed to update /proc/self/oom_score_adj: Permission denied"
  restrict_oom_score_adj = true
  sandbox_image = "k8s.gcr.io/pause:3.2"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  # pod network namespaces under DIR too, so stop can unmount them
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        Root = "$N/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$N/cni/net.d"
    max_conf_num = 1
TOML
  # No ipMasq: pods need no way out, and the host's iptables stay untouched.
  cat > "$N/cni/net.d/10-sked.conflist" <<CNI
{
  "cniVersion": "0.4.0",
  "name": "sked-$BRIDGE",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "$SUBNET"}]],
        "routes": [{"dst": "0.0.0.0/0"}],
        "dataDir": "$N/cni/ipam"
      }
    }
  ]
}
CNI
}

start_node() {
  paths "$1"
  for f in admin.kubeconfig sa.key certs/apiserver.crt pids env; do
    [ -e "$D/$f" ] || { log "FATAL: $D/$f missing: start the control plane first (scripts/control-plane.sh start $1)"; exit 1; }
  done
  [ "$(id -u)" -eq 0 ] || { log "FATAL: the node needs root (containers, mounts, a bridge)"; exit 1; }
  [ "${#SOCK}" -lt 100 ] || { log "FATAL: $D is too long a path for containerd's unix socket (${#SOCK} > 100 characters)"; exit 1; }
  if alive "$(pid_of kubelet)" || alive "$(pid_of containerd)"; then log "FATAL: a node is already running for $D"; exit 1; fi
  [ -d "$N" ] && { stop_node; rm -rf "$N"; }   # leftovers of an earlier run in this folder

  local t0=$SECONDS
  install_packages
  local bin images
  bin="$("$HERE/test-assets.sh" node | tail -1)"
  images="$("$HERE/node-images.sh" | tail -1)"
  net_names
  mkdir -p "$D/logs" "$N"
  write_configs
  save_host_state
  api_service_route

  containerd --config "$N/containerd/config.toml" </dev/null >"$D/logs/containerd.log" 2>&1 &
  echo "$! containerd" >> "$D/pids"
  local cpid=$! ok=0
  for _ in $(seq 1 100); do
    if [ -S "$SOCK" ] && "${CTR[@]}" version >/dev/null 2>&1; then ok=1; break; fi
    alive "$cpid" || break
    sleep 0.2
  done
  [ "$ok" = 1 ] || fail "containerd did not come up: $(grep -iE 'level=(error|fatal)|failed' "$D/logs/containerd.log" | tail -1 | cut -c1-300) (log $D/logs/containerd.log)"

  "$bin/kube-scheduler" --kubeconfig="$D/admin.kubeconfig" --leader-elect=false --port=0 --secure-port=0 \
    </dev/null >"$D/logs/kube-scheduler.log" 2>&1 &
  echo "$! kube-scheduler" >> "$D/pids"

  local kport hport
  kport=$(free_port); hport=$(free_port)
  # Flags: no swap/cgroup/eviction/image-GC housekeeping a test node does not need; every path
  # under DIR; kubelet API on loopback only (anonymous, AlwaysAllow: what `kubectl logs` uses);
  # no iptables chains on the host; cAdvisor asks this containerd, not /run/containerd's; node
  # status every second, not 10 (it is only sent when it changes), so Ready shows at once.
  "$bin/kubelet" --kubeconfig="$D/admin.kubeconfig" --container-runtime=remote \
    --container-runtime-endpoint="unix://$SOCK" --runtime-request-timeout=2m \
    --fail-swap-on=false --cgroup-driver=cgroupfs --cgroups-per-qos=false --enforce-node-allocatable= \
    --eviction-hard= --image-gc-high-threshold=100 --image-gc-low-threshold=99 \
    --root-dir="$N/kubelet" --cert-dir="$N/pki" --volume-plugin-dir="$N/volume-plugins" \
    --hostname-override="$NODE" --pod-infra-container-image=k8s.gcr.io/pause:3.2 \
    --address=127.0.0.1 --port="$kport" --read-only-port=0 --healthz-bind-address=127.0.0.1 --healthz-port="$hport" \
    --resolv-conf=/etc/resolv.conf --make-iptables-util-chains=false --kube-api-qps=50 --kube-api-burst=100 \
    --containerd="$SOCK" --node-status-update-frequency=1s \
    </dev/null >"$D/logs/kubelet.log" 2>&1 &
  echo "$! kubelet" >> "$D/pids"
  local kpid=$!
  start_kube_proxy "$bin"

  # Meanwhile (the kubelet spends ~5 s in cAdvisor's start-up looking for Docker) the images.
  for img in "$images"/*.tar; do
    "${CTR[@]}" images import "$img" >>"$D/logs/containerd-import.log" 2>&1 \
      || fail "could not import $img into containerd: $(tail -1 "$D/logs/containerd-import.log")"
  done

  # Ready: the kubelet registered the node and the runtime reports its network ready.
  ok=0
  local deadline=$((SECONDS + 90))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if [ "$(api "/api/v1/nodes/$NODE" | jq -r '.status.conditions[]? | select(.type=="Ready") | .status' 2>/dev/null)" = True ]; then ok=1; break; fi
    alive "$kpid" || fail "kubelet exited: $(grep -E '^[EF][0-9]{4}' "$D/logs/kubelet.log" | tail -1 | cut -c1-300) (log $D/logs/kubelet.log)"
    alive "$cpid" || fail "containerd exited: $(tail -1 "$D/logs/containerd.log" | cut -c1-300)"
    sleep 0.5
  done
  if [ "$ok" != 1 ]; then
    local why
    why="$(api "/api/v1/nodes/$NODE" | jq -r '.status.conditions[]? | select(.type=="Ready") | .message' 2>/dev/null)"
    fail "node $NODE not Ready after 90 s: ${why:-not registered} (logs $D/logs/kubelet.log, containerd.log)"
  fi

  # Pods need the default ServiceAccount and, in v1.20, its token Secret (admission mounts it).
  ok=0
  deadline=$((SECONDS + 60))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if [ "$(api /api/v1/namespaces/default/serviceaccounts/default | jq -r '.secrets | length' 2>/dev/null)" -gt 0 ] 2>/dev/null; then ok=1; break; fi
    sleep 0.5
  done
  [ "$ok" = 1 ] || fail "the default ServiceAccount (or its token) never appeared: is kube-controller-manager running with the serviceaccount and serviceaccount-token controllers? (log $D/logs/kube-controller-manager.log)"

  smoke_pod
  echo "export SKED_TEST_NODE=$NODE" >> "$D/env"
  echo "export SKED_TEST_NODE_CONTAINERD=$SOCK" >> "$D/env"
  log "node $NODE ready in $((SECONDS - t0)) s (containerd $SOCK, bridge $BRIDGE $SUBNET)"
}

# The bridge, made now rather than by the CNI plugin at the first pod, so route_localnet can be
# set on it; then the DNAT of the `kubernetes` Service's address to the API server's loopback port.
api_service_route() {
  local pa svc_ip=10.0.0.1
  pa="$(sed -n 's/^apiserver=//p' "$D/ports")"
  [ -n "$pa" ] || fail "$D/ports names no API server port"
  ip link show "$BRIDGE" >/dev/null 2>&1 || ip link add "$BRIDGE" type bridge || fail "cannot create bridge $BRIDGE"
  ip link set "$BRIDGE" up
  echo 1 > "/proc/sys/net/ipv4/conf/$BRIDGE/route_localnet"
  echo 1 > /proc/sys/net/ipv4/ip_forward
  iptables -w -t nat -N "$API_CHAIN" 2>/dev/null || iptables -w -t nat -F "$API_CHAIN"
  iptables -w -t nat -A "$API_CHAIN" -i "$BRIDGE" -d "$svc_ip/32" -p tcp --dport 443 -j DNAT --to-destination "127.0.0.1:$pa" \
    || fail "cannot add the API server's DNAT rule (iptables)"
  iptables -w -t nat -C PREROUTING -j "$API_CHAIN" 2>/dev/null || iptables -w -t nat -I PREROUTING 1 -j "$API_CHAIN"
}

# kube-proxy, unless another node on this host already runs one (HOST_STATE/kube-proxy names it).
start_kube_proxy() {
  local bin="$1" owner hz mp
  owner="$(cat "$HOST_STATE/kube-proxy" 2>/dev/null || true)"
  if [ -n "$owner" ] && [ "$owner" != "$D" ] && alive "$(awk '$2=="kube-proxy" {print $1}' "$owner/pids" 2>/dev/null | tail -1)"; then
    log "kube-proxy of $owner already runs on this host: this node gets none (the API server stays reachable)"
    return 0
  fi
  hz=$(free_port); mp=$(free_port)
  # conntrack limits left as they are (0), no OOM score change; everything on loopback
  "$bin/kube-proxy" --kubeconfig="$D/admin.kubeconfig" --hostname-override="$NODE" --proxy-mode=iptables \
    --cluster-cidr="$SUBNET" --masquerade-all --bind-address=127.0.0.1 \
    --healthz-bind-address="127.0.0.1:$hz" --metrics-bind-address="127.0.0.1:$mp" \
    --conntrack-max-per-core=0 --conntrack-tcp-timeout-established=0 --conntrack-tcp-timeout-close-wait=0 \
    --oom-score-adj=0 --iptables-sync-period=30s --iptables-min-sync-period=0s \
    </dev/null >"$D/logs/kube-proxy.log" 2>&1 &
  echo "$! kube-proxy" >> "$D/pids"
  echo "$D" > "$HOST_STATE/kube-proxy"
  local ppid=$! ok=0
  for _ in $(seq 1 60); do
    if curl -sf "http://127.0.0.1:$hz/healthz" >/dev/null 2>&1; then ok=1; break; fi
    alive "$ppid" || break
    sleep 0.5
  done
  [ "$ok" = 1 ] || fail "kube-proxy did not become healthy: $(grep -E '^[EF][0-9]{4}' "$D/logs/kube-proxy.log" | tail -1 | cut -c1-300) (log $D/logs/kube-proxy.log)"
}

# Undoes api_service_route and, for the node that ran kube-proxy, its chains.
remove_network_rules() {
  local bin
  if command -v iptables >/dev/null; then
    iptables -w -t nat -D PREROUTING -j "$API_CHAIN" 2>/dev/null || true
    iptables -w -t nat -F "$API_CHAIN" 2>/dev/null || true
    iptables -w -t nat -X "$API_CHAIN" 2>/dev/null || true
  fi
  if [ "$(cat "$HOST_STATE/kube-proxy" 2>/dev/null)" = "$D" ]; then
    bin="$(sed -n 's/^bin=//p' "$D/ports" 2>/dev/null)"
    [ -x "$bin/kube-proxy" ] && "$bin/kube-proxy" --cleanup >/dev/null 2>&1 || true
    rm -f "$HOST_STATE/kube-proxy"
  fi
}

# A pod that must run to completion: proves scheduling, the sandbox (runc + CNI), the image
# and the kubelet end to end, so a broken node fails here with its reason, not in a test.
smoke_pod() {
  local pod=sked-node-smoke ns=kube-system
  local body
  body="{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"$pod\"},\"spec\":{\"restartPolicy\":\"Never\",\"automountServiceAccountToken\":false,\"terminationGracePeriodSeconds\":0,\"containers\":[{\"name\":\"smoke\",\"image\":\"docker.io/library/busybox:1.36\",\"command\":[\"true\"]}]}}"
  local created=0 phase="" out deadline=$((SECONDS + 60))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if [ "$created" = 0 ]; then
      # retried: kube-system's default ServiceAccount may not exist yet (admission refuses the pod)
      out="$(api "/api/v1/namespaces/$ns/pods" -X POST -H 'Content-Type: application/json' -d "$body" -o /dev/null -w '%{http_code}')"
      case "$out" in 201|409) created=1 ;; esac
    else
      phase="$(api "/api/v1/namespaces/$ns/pods/$pod" | jq -r '.status.phase' 2>/dev/null)"
      case "$phase" in Succeeded|Failed) break ;; esac
      # A sandbox that failed twice (the kubelet retries with back-off) will not come: say why now.
      [ "$(api "/api/v1/namespaces/$ns/events?fieldSelector=involvedObject.name=$pod,reason=FailedCreatePodSandBox" \
        | jq '[.items[].count] | add // 0' 2>/dev/null)" -ge 2 ] 2>/dev/null && break
    fi
    sleep 0.5
  done
  local status; status="$(api "/api/v1/namespaces/$ns/pods/$pod")"
  api "/api/v1/namespaces/$ns/pods/$pod" -X DELETE -H 'Content-Type: application/json' -d '{"gracePeriodSeconds":0}' >/dev/null || true
  [ "$phase" = Succeeded ] && return 0
  [ "$created" = 1 ] || fail "could not create the smoke pod $ns/$pod (HTTP $out)"
  local why
  if [ "$phase" = Failed ]; then
    why="$(jq -r '.status.containerStatuses[0].state.terminated | "container exited \(.exitCode): \(.reason) \(.message // "")"' <<<"$status")"
  else
    why="$(api "/api/v1/namespaces/$ns/events?fieldSelector=involvedObject.name=$pod" \
      | jq -r '[.items[] | select(.type=="Warning")] | last | if . == null then "no warning event" else "\(.reason): \(.message)" end' | tr '\n' ' ' | cut -c1-600)"
    why="${phase:-unknown}: $why"
  fi
  fail "the smoke pod could not run ($why; logs $D/logs/kubelet.log, containerd.log)"
}

# Stops exactly this node: kubelet and scheduler first (nothing restarts containers), then every
# container (their processes are PID 1 of their own PID namespace and ignore TERM, and the shims
# outlive containerd), containerd, left-over shims, mounts under DIR/node, the bridge last.
stop_node() {
  local kpid spid cpid xpid
  kpid="$(pid_of kubelet)"; spid="$(pid_of kube-scheduler)"; cpid="$(pid_of containerd)"; xpid="$(pid_of kube-proxy)"
  stop_pids 10 "$kpid" "$spid" "$xpid"
  remove_network_rules
  [ -d "$N" ] || { forget_pids "$kpid" "$spid" "$cpid" "$xpid"; return 0; }
  local ids=()
  if alive "$cpid"; then
    mapfile -t ids < <("${CTR[@]}" containers ls -q 2>/dev/null || true)
    for id in "${ids[@]}"; do "${CTR[@]}" tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true; done
    for id in "${ids[@]}"; do
      for _ in $(seq 1 25); do
        "${CTR[@]}" tasks rm "$id" >/dev/null 2>&1 && break
        "${CTR[@]}" tasks ls -q 2>/dev/null | grep -qx "$id" || break
        sleep 0.2
      done
      "${CTR[@]}" containers rm "$id" >/dev/null 2>&1 || true
    done
  fi
  # Whatever containerd could not clean (it died, or a task would not go): the recorded
  # container and shim PIDs, each checked to still be that process before the KILL.
  local leftovers=()
  if [ -d "$TASKS" ]; then
    for b in "$TASKS"/*/; do
      local id; id="$(basename "$b")"
      [ "$id" = "*" ] && continue
      ids+=("$id")
      local p
      p="$(cat "$b/init.pid" 2>/dev/null || true)"
      if alive "$p" && grep -q "$id" "/proc/$p/cgroup" 2>/dev/null; then kill -9 "$p" 2>/dev/null || true; fi
    done
  fi
  stop_pids 10 "$cpid"
  # Shims: found by the socket of this containerd on their command line (unique to DIR).
  for p in /proc/[0-9]*; do
    if tr '\0' ' ' 2>/dev/null < "$p/cmdline" | grep -q -- "containerd-shim.* -address $SOCK "; then leftovers+=("${p#/proc/}"); fi
  done
  [ "${#leftovers[@]}" -gt 0 ] && stop_pids 5 "${leftovers[@]}"
  # Mounts: overlay rootfs, /dev/shm, network namespaces, the kubelet's root and its secret volumes.
  for _ in 1 2 3; do
    local mounts
    mounts="$(awk -v n="$N" '{ gsub(/\\040/, " ", $5); if (index($5, n "/") == 1 || $5 == n) print $5 }' /proc/self/mountinfo | sort -r | uniq)"
    [ -z "$mounts" ] && break
    while IFS= read -r m; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done <<<"$mounts"
  done
  # What the runtime would have undone on a clean pod teardown: CNI result caches, pod logs.
  for id in "${ids[@]}"; do rm -f /var/lib/cni/results/*-"$id"-* 2>/dev/null || true; done
  # (the kubelet writes them to the fixed /var/log/pods; the pods this node ran are the ones
  # containerd logged a sandbox for)
  local uids
  uids="$( { ls "$N/kubelet/pods" 2>/dev/null; grep -o 'Uid:[0-9a-f-]*' "$D/logs/containerd.log" 2>/dev/null | cut -d: -f2; } | sort -u || true)"
  for u in $uids; do
    [[ "$u" =~ ^[0-9a-f-]{36}$ ]] || continue
    rm -rf /var/log/pods/*_"$u" 2>/dev/null || true
    find /var/log/containers -maxdepth 1 -type l -lname "/var/log/pods/*_$u/*" -delete 2>/dev/null || true
  done
  net_names_saved
  if [ -n "${BRIDGE:-}" ] && ip link show "$BRIDGE" >/dev/null 2>&1; then ip link del "$BRIDGE" 2>/dev/null || true; fi
  restore_host_state
  forget_pids "$kpid" "$spid" "$cpid" "$xpid"
}

save_host_state() {
  mkdir -p "$HOST_STATE"
  (
    flock 9
    if [ ! -f "$HOST_STATE/sysctl.saved" ]; then
      for k in $TUNABLES; do echo "$k $(cat "/proc/sys/$k")"; done > "$HOST_STATE/sysctl.saved"
      for d in $HOST_DIRS; do [ -e "$d" ] || echo "$d"; done > "$HOST_STATE/new-dirs"
    fi
    echo "$D" >> "$HOST_STATE/users"
  ) 9>"$HOST_STATE/lock"
}

restore_host_state() {
  [ -f "$HOST_STATE/users" ] || return 0
  (
    flock 9
    local u left=""
    while read -r u; do   # other nodes whose kubelet still runs
      [ "$u" != "$D" ] && alive "$(awk '$2=="kubelet" {print $1}' "$u/pids" 2>/dev/null | tail -1)" && left="$left$u"$'\n'
    done < "$HOST_STATE/users"
    if [ -n "$left" ]; then printf '%s' "$left" > "$HOST_STATE/users"; exit 0; fi
    while read -r k v; do echo "$v" > "/proc/sys/$k" 2>/dev/null || true; done < "$HOST_STATE/sysctl.saved"
    # folders that only nodes created: the kubelet's holds just its device-plugin socket, the
    # others only empty folders by now (each node removed its own files)
    while read -r d; do
      case "$d" in
        /var/lib/kubelet) rm -rf /var/lib/kubelet/device-plugins; rmdir /var/lib/kubelet ;;
        *) find "$d" -depth -type d -empty -delete ;;
      esac 2>/dev/null || true
    done < "$HOST_STATE/new-dirs"
    rm -f "$HOST_STATE/sysctl.saved" "$HOST_STATE/new-dirs" "$HOST_STATE/users"
  ) 9>"$HOST_STATE/lock"
}

# The bridge name as written in the CNI config (the subnet check may differ at stop time).
net_names_saved() {
  BRIDGE="$(jq -r '.plugins[0].bridge' "$N/cni/net.d/10-sked.conflist" 2>/dev/null || true)"
}

# stop_pids GRACE PID...: TERM, then KILL after GRACE seconds.
stop_pids() {
  local grace="$1"; shift
  local p left
  for p in "$@"; do if alive "$p"; then kill "$p" 2>/dev/null || true; fi; done
  for _ in $(seq 1 $((grace * 5))); do
    left=0; for p in "$@"; do alive "$p" && left=1; done
    [ "$left" = 0 ] && return 0
    sleep 0.2
  done
  for p in "$@"; do alive "$p" && { log "pid $p ignored TERM: killing it"; kill -9 "$p" 2>/dev/null || true; }; done
  return 0
}

# Drops these PIDs from DIR/pids: control-plane.sh stop then only stops the rest.
forget_pids() {
  [ -f "$D/pids" ] || return 0
  local p keep; keep="$(cat "$D/pids")"
  for p in "$@"; do [ -n "$p" ] && keep="$(awk -v p="$p" '$1!=p' <<<"$keep")"; done
  if [ -n "$keep" ]; then printf '%s\n' "$keep" > "$D/pids"; else : > "$D/pids"; fi
}

case "${1:-}" in
  start) start_node "${2:?usage: start DIR}" ;;
  stop) [ -d "${2:?usage: stop DIR}" ] || exit 0; paths "$2"; stop_node ;;
  *) echo "usage: $0 start DIR | stop DIR" >&2; exit 2 ;;
esac
