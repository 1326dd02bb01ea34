#!/usr/bin/env bash
# Builds KataSharp's shipped binaries into out/bin: NativeAOT executables and the small
# C helpers. Incremental: dotnet and make skip what is up to date.
# Usage: scripts/publish.sh [component...]   (default: all)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

mkdir -p "$KS_OUT/bin"

# scripts/test.sh publishes every binary once (its step 3) and then exports KATASHARP_PUBLISHED=out/bin
# to its tests: their own calls (a test run alone publishes what it needs) have nothing to do, and an
# up-to-date NativeAOT publish still costs tens of seconds of MSBuild each on 2 cores.
if [ "${KATASHARP_PUBLISHED:-}" = "$KS_OUT/bin" ]; then
  ks_log "every binary in $KS_OUT/bin was published by this scripts/test.sh run: nothing to do"
  exit 0
fi

# name → project; each is a NativeAOT executable copied to out/bin/<name>.
declare -A aot=(
  [katasharp-vmm]="vmm/KataSharp.Vmm.Cli/KataSharp.Vmm.Cli.csproj"
  [containerd-shim-katasharp-v2]="runtime/KataSharp.Shim/KataSharp.Shim.csproj"
  [katasharp-sandbox-vmm]="runtime/KataSharp.SandboxVmm/KataSharp.SandboxVmm.csproj"
  [katasharp]="runtime/KataSharp.Cli/KataSharp.Cli.csproj"
  [katasharp-testtool]="tests/KataSharp.TestTool/KataSharp.TestTool.csproj"
  [katasharp-agent]="agent/KataSharp.Agent/KataSharp.Agent.csproj"
  [katasharp-agentctl]="tests/KataSharp.AgentCtl/KataSharp.AgentCtl.csproj"
  [katasharp-criprobe]="tests/KataSharp.CriProbe/KataSharp.CriProbe.csproj"
)

# name → build script of a small static C program (built into out/bin/<name>).
declare -A native=(
  [ks-init]="agent/native/build.sh"
  [ks-spawn]="agent/native/build.sh"
  [ks-syscall-probe]="agent/native/build.sh"
)

publish_aot() {
  local name="$1" project="$KS_ROOT/${aot[$1]}"
  [ -f "$project" ] || ks_die "no project for $name at $project"
  ks_run_logged "publishing $name (NativeAOT)" "$KS_OUT/logs/publish-$name.log" \
    dotnet publish "$project" -c Release -r linux-x64 -p:PublishAot=true -o "$KS_OUT/publish/$name" --nologo
  cp "$KS_OUT/publish/$name/$name" "$KS_OUT/bin/$name"
}

wanted=("$@")
[ ${#wanted[@]} -eq 0 ] && wanted=("${!aot[@]}" "${!native[@]}")
# The shim starts katasharp-sandbox-vmm (next to itself, of its own build) for every sandbox: one comes with the other.
for c in "${wanted[@]}"; do
  if [ "$c" = containerd-shim-katasharp-v2 ] && [[ " ${wanted[*]} " != *" katasharp-sandbox-vmm "* ]]; then
    wanted+=(katasharp-sandbox-vmm)
  fi
done
for c in "${wanted[@]}"; do
  if [ -n "${aot[$c]+x}" ]; then publish_aot "$c"
  elif [ -n "${native[$c]+x}" ]; then "$KS_ROOT/${native[$c]}" "$c"
  else ks_die "unknown component '$c' (known: ${!aot[*]} ${!native[*]})"; fi
done
