# A private containerd for the demo: its own root, state and socket under one directory (give it
# one on a real filesystem or tmpfs, e.g. under /run: the overlayfs snapshotter cannot sit on the
# nested test host's overlay root), never the machine's own containerd. Source it after lib.sh.
# shellcheck shell=bash

# ks_containerd_config DIR: writes DIR/config.toml (root, state and sockets under DIR) unless it
# exists, and prints its path; `katasharp install --containerd-config` can then register the runtime.
ks_containerd_config() {
  local dir="$1"
  mkdir -p "$dir"
  [ -f "$dir/config.toml" ] || cat >"$dir/config.toml" <<TOML
version = 2
root = "$dir/root"
state = "$dir/state"
[grpc]
  address = "$dir/containerd.sock"
[ttrpc]
  address = "$dir/containerd.sock.ttrpc"
TOML
  echo "$dir/config.toml"
}

# ks_containerd_start DIR: starts containerd with everything under DIR (log: DIR/containerd.log);
# sets KS_CTD_ADDRESS and KS_CTD_PID. The shim is found on PATH (containerd-shim-katasharp-v2)
# and inherits this environment. With KS_CTD_NETNS (a network namespace file) containerd, and so
# its shims and the CNI plugins it runs, live in that network namespace instead of the caller's.
ks_containerd_start() {
  local dir="$1" config
  command -v containerd >/dev/null || ks_die "containerd is missing; run scripts/install-deps.sh containers"
  config=$(ks_containerd_config "$dir")
  mkdir -p "$dir/root" "$dir/state"
  KS_CTD_ADDRESS="$dir/containerd.sock"
  local netns=()
  [ -n "${KS_CTD_NETNS:-}" ] && netns=(nsenter "--net=$KS_CTD_NETNS")
  # nsenter (network namespace only) execs containerd in place: $! is containerd's pid either way.
  "${netns[@]}" containerd --config "$config" >"$dir/containerd.log" 2>&1 &
  KS_CTD_PID=$!
  local waited=0
  until [ -S "$KS_CTD_ADDRESS" ] && command ctr --address "$KS_CTD_ADDRESS" version >/dev/null 2>&1; do
    kill -0 "$KS_CTD_PID" 2>/dev/null || { tail -n 20 "$dir/containerd.log" >&2; ks_die "containerd exited at start-up; its log is above"; }
    [ "$waited" -lt 300 ] || ks_die "containerd did not serve $KS_CTD_ADDRESS within 30 s; see $dir/containerd.log"
    sleep 0.1; waited=$((waited + 1))
  done
}

# ks_containerd_stop DIR: stops what ks_containerd_start started, tasks and shims included, and
# unmounts every mount under DIR.
ks_containerd_stop() {
  local dir="$1"
  if [ -n "${KS_CTD_PID:-}" ] && kill -0 "$KS_CTD_PID" 2>/dev/null; then
    local id
    for id in $(command ctr --address "$KS_CTD_ADDRESS" task ls -q 2>/dev/null); do
      command ctr --address "$KS_CTD_ADDRESS" task kill -s KILL "$id" >/dev/null 2>&1 || true
      command ctr --address "$KS_CTD_ADDRESS" task delete -f "$id" >/dev/null 2>&1 || true
    done
    for id in $(command ctr --address "$KS_CTD_ADDRESS" container ls -q 2>/dev/null); do
      command ctr --address "$KS_CTD_ADDRESS" container delete "$id" >/dev/null 2>&1 || true
    done
    kill "$KS_CTD_PID" 2>/dev/null || true
    wait "$KS_CTD_PID" 2>/dev/null || true
  fi
  local m
  for m in $(awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r); do
    umount -l "$m" 2>/dev/null || true
  done
}

# ks_busybox_image DIR: a busybox OCI image built locally (there is no registry here): umoci
# layout with busybox-static and a few applet links, cmd /bin/sh. Prints the tar for `ctr image import`.
ks_busybox_image() {
  local dir="$1" layout="$1/layout" bundle="$1/bundle" applet
  command -v umoci >/dev/null || ks_die "umoci is missing; run scripts/install-deps.sh containers"
  [ -x /bin/busybox ] || ks_die "/bin/busybox is missing; run scripts/install-deps.sh containers"
  rm -rf "$layout" "$bundle"
  { umoci init --layout "$layout" && umoci new --image "$layout:latest" \
      && umoci unpack --rootless --image "$layout:latest" "$bundle"; } >&2 || return 1
  mkdir -p "$bundle/rootfs/bin" && cp /bin/busybox "$bundle/rootfs/bin/busybox" || return 1
  for applet in sh uname cat echo true false ls sleep id ps hostname head wc grep tty stty; do
    ln -sf busybox "$bundle/rootfs/bin/$applet"
  done
  { umoci repack --image "$layout:latest" "$bundle" \
      && umoci config --image "$layout:latest" --config.cmd /bin/sh; } >&2 || return 1
  tar -C "$layout" -cf "$dir/busybox.tar" . || return 1
  echo "$dir/busybox.tar"
}
