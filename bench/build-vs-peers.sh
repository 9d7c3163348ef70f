#!/usr/bin/env bash
# Whole builds side by side: `builder build` against BuildKit (dockerd from Debian's docker.io, DOCKER_BUILDKIT=1)
# and buildah, in the same run, on the same inputs:
#   base: a busybox image in a local docker-registry (127.0.0.1, plain HTTP for all three)
#   Dockerfile: a RUN creating 2,000 files; COPY of a generated ~130 MB / 4,000-file context; a RUN over it.
# Scenarios (median wall-clock of RUNS, process start to exit; the tools' order rotates from run to run):
#   cold      --no-cache build
#   no-op     the same build again, nothing changed
#   one-file  one context file changed, rebuild
#   push      push the built image to the local registry (a new repository each run)
# Goals (issue 17): cold <= 0.6x BuildKit, no-op <= 0.5x, one-file <= 0.35x, push <= 0.3x.
# Every run's figures are printed, then the median and the spread (min-max) per tool and scenario.
# SCALE multiplies the context (files and bytes: 1 = 4,000 files / 130 MB, 10 = 40,000 files / 1.3 GB), for the
# scale series: the ratio to BuildKit at 10x should be no worse than at 1x.
#
# usage: [SCALE=1] [TOOLS="builder buildkit buildah"] bench/build-vs-peers.sh [RUNS=3]
#        needs root; installs docker.io and buildah when missing
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
work=$(mktemp -d /tmp/build-vs-peers.XXXXXX)
# shellcheck source=bench/peers-setup.sh
. bench/peers-setup.sh
builder() { BUILDER_ROOT=$work/builder-root "$work/cli/builder" "$@"; }
buildah_() { buildah --root "$work/buildah/root" --runroot "$work/buildah/run" --storage-driver vfs "$@"; }
if buildah_ info >/dev/null 2>&1 && buildah_ --storage-driver overlay info >/dev/null 2>&1; then
  buildah_() { buildah --root "$work/buildah/root" --runroot "$work/buildah/run" --storage-driver overlay "$@"; }
fi

declare -A build_cold build_warm push_cmd
build_cold[builder]="builder build -q --no-cache --build-arg BASE=$base -t bench:1 $ctx"
build_warm[builder]="builder build -q --build-arg BASE=$base -t bench:1 $ctx"
push_cmd[builder]="builder push bench:1 127.0.0.1:$port/pushed-builder-RUN:1"
build_cold[buildkit]="docker build -q --no-cache --network host --build-arg BASE=$base -t bench:1 $ctx"
build_warm[buildkit]="docker build -q --network host --build-arg BASE=$base -t bench:1 $ctx"
push_cmd[buildkit]="docker tag bench:1 127.0.0.1:$port/pushed-buildkit-RUN:1 && docker push -q 127.0.0.1:$port/pushed-buildkit-RUN:1"
build_cold[buildah]="buildah_ bud -q --runtime runc --no-cache --layers --network host --tls-verify=false --build-arg BASE=$base -t bench:1 $ctx"
build_warm[buildah]="buildah_ bud -q --runtime runc --layers --network host --tls-verify=false --build-arg BASE=$base -t bench:1 $ctx"
push_cmd[buildah]="buildah_ push -q --tls-verify=false bench:1 docker://127.0.0.1:$port/pushed-buildah-RUN:1"
# TOOLS picks the peers (the scale series needs only BuildKit: TOOLS="builder buildkit").
read -r -a tools <<<"${TOOLS:-builder buildkit buildah}"
export -f builder docker buildah_ 2>/dev/null || true
export work sock base ctx port

declare -A times
timed() { # key command
  # Each tool starts with the disk quiet: no write-back left over from the previous tool is charged to it.
  sync
  local start end; start=$(date +%s%N)
  eval "$2" >/dev/null 2>"$work/last.err" || { echo "FAILED: $1: $2" >&2; cat "$work/last.err" >&2; exit 1; }
  end=$(date +%s%N); times[$1]+="$(( (end - start) / 1000000 )) "
}
for tool in "${tools[@]}"; do eval "${build_cold[$tool]}" >/dev/null 2>&1; done   # warm-up: base pulled, JIT, page cache
for run in $(seq "$runs"); do
  # The order rotates: a tool that starts right after another's mass deletions pays for them in ext4's inode
  # allocator (inodes deleted in the last ~30 s are skipped one by one), so no tool always follows the same one.
  for i in "${!tools[@]}"; do
    tool=${tools[$(( (i + run - 1) % ${#tools[@]} ))]}
    timed "$tool cold" "${build_cold[$tool]}"
    timed "$tool no-op" "${build_warm[$tool]}"
    echo "change $run $tool" >> "$(find "$ctx/tree" -type f | sort | head -1)"
    timed "$tool one-file" "${build_warm[$tool]}"
    timed "$tool push" "${push_cmd[$tool]//RUN/$run}"
  done
done

# (A tool not run has no figures: grep finding nothing must not end the script.)
median_ms() { tr ' ' '\n' <<<"$1" | { grep . || true; } | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
spread() { tr ' ' '\n' <<<"$1" | { grep . || true; } | sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.2f-%.2f", lo / 1000, hi / 1000 }'; }
printf 'context: %s files, %s (SCALE=%s); %d cores; %d runs each, wall-clock seconds\n' \
  "$(find "$ctx/tree" -type f | wc -l)" "$(du -sh "$ctx/tree" | cut -f1)" "$scale" "$(nproc)" "$runs"
echo "every run (seconds, in run order):"
for scenario in cold no-op one-file push; do
  for tool in "${tools[@]}"; do
    printf '  %-9s %-9s %s\n' "$scenario" "$tool" "$(tr ' ' '\n' <<<"${times[$tool $scenario]}" | grep . | awk '{ printf "%.2f ", $1 / 1000 }')"
  done
done
printf '%-10s %18s %18s %18s %11s %6s\n' scenario "builder (spread)" "buildkit (spread)" "buildah (spread)" "builder/bk" goal
for scenario in cold no-op one-file push; do
  b=$(median_ms "${times[builder $scenario]}"); k=$(median_ms "${times[buildkit $scenario]}"); h=$(median_ms "${times[buildah $scenario]:-}")
  case $scenario in cold) goal=0.6 ;; one-file) goal=0.35 ;; no-op) goal=0.5 ;; push) goal=0.3 ;; esac
  awk -v s="$scenario" -v b="$b" -v k="$k" -v h="$h" -v g="$goal" -v bs="$(spread "${times[builder $scenario]}")" \
      -v ks="$(spread "${times[buildkit $scenario]}")" -v hs="$(spread "${times[buildah $scenario]:-}")" 'BEGIN {
    if (h == "") { h = "-"; hs = "not run" } else { h = sprintf("%.2f", h / 1000) }
    r = b / k; printf "%-10s %6.2f (%9s) %6.2f (%9s) %6s (%9s) %10.2fx %6s %s\n", s, b / 1000, bs, k / 1000, ks, h, hs, r, g, (r <= g ? "met" : "NOT met") }'
done
