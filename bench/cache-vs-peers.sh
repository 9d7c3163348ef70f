#!/usr/bin/env bash
# A build on a fresh store from the registry cache a first build exported (issue 16), side by side in one run with
# BuildKit (dockerd from Debian's docker.io, DOCKER_BUILDKIT=1) and buildah, on bench/build-vs-peers.sh's workload:
#   base: a busybox image in a local docker-registry (127.0.0.1, plain HTTP for all three)
#   Dockerfile: a RUN creating 2,000 files; COPY of a generated ~130 MB / 4,000-file context; a RUN over it.
# Each run, for each tool (the order rotates from run to run), an untimed seed build on an empty store exports the
# cache to the registry (a new repository each run), then the timed build runs on another empty store importing it:
#   builder   seed --cache-to type=registry,ref=REG/cache-builder-N:buildcache,mode=max (BUILDER_ROOT A);
#             timed --cache-from type=registry,ref=… with a new, empty BUILDER_ROOT B
#   buildah   seed bud --layers --cache-to REG/cache-buildah-N; timed bud --layers --cache-from … (new --root/--runroot)
#   BuildKit  seed build --build-arg BUILDKIT_INLINE_CACHE=1, push REG/inline-N:1; timed, after `docker builder prune
#             -af` and removing every image: build --cache-from REG/inline-N:1
# Wall-clock from process start to exit, the image tagged in the tool's store. Each timed build's progress is read:
# a line per run says how many of the 3 steps each tool took from the cache (a miss is reported, not hidden).
# Goal (issue 16): builder <= 0.5x BuildKit's and <= 0.5x buildah's median time.
#
# usage: bench/cache-vs-peers.sh [RUNS=5]     needs root; installs docker.io and buildah when missing
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
work=$(mktemp -d /tmp/cache-vs-peers.XXXXXX)
# shellcheck source=bench/peers-setup.sh
. bench/peers-setup.sh
buildah bud --help 2>&1 | grep -q -- --cache-from || { echo "buildah $(buildah --version) has no --cache-from/--cache-to" >&2; exit 1; }
"$work/cli/builder" build --help | grep -q -- --cache-from || { echo "this builder has no --cache-from" >&2; exit 1; }
driver=vfs
buildah --root "$work/probe/root" --runroot "$work/probe/run" --storage-driver overlay info >/dev/null 2>&1 && driver=overlay
unmount_under "$work/probe"; rm -rf "$work/probe"
buildah_() { buildah --root "$work/buildah-$1/root" --runroot "$work/buildah-$1/run" --storage-driver "$driver" "${@:2}"; }

# Empty stores: builder's and buildah's are new directories (the old ones go after the timed build, so no timed build
# follows its own mass deletion); BuildKit's is the one daemon's, emptied.
fresh() { # tool
  case $1 in
    builder) rm -rf "$work/builder-seed" "$work/builder-timed" ;;
    buildah) unmount_under "$work/buildah-"; rm -rf "$work"/buildah-* ;;
    buildkit) docker builder prune -af >/dev/null; local ids; ids=$(docker image ls -aq | sort -u)
              [ -z "$ids" ] || docker rmi -f $ids >/dev/null ;;
  esac
}
args="--build-arg BASE=$base -t bench:1 $ctx"
declare -A seed_cmd timed_cmd
seed_cmd[builder]="BUILDER_ROOT=$work/builder-seed builder build -q --cache-to type=registry,ref=$reg/cache-builder-@RUN@:buildcache,mode=max $args"
timed_cmd[builder]="BUILDER_ROOT=$work/builder-timed builder build --progress plain --cache-from type=registry,ref=$reg/cache-builder-@RUN@:buildcache $args"
seed_cmd[buildah]="buildah_ seed bud -q --runtime runc --layers --network host --tls-verify=false --cache-to $reg/cache-buildah-@RUN@ $args"
timed_cmd[buildah]="buildah_ timed bud --runtime runc --layers --network host --tls-verify=false --cache-from $reg/cache-buildah-@RUN@ $args"
seed_cmd[buildkit]="docker build -q --network host --build-arg BUILDKIT_INLINE_CACHE=1 --build-arg BASE=$base -t $reg/inline-@RUN@:1 $ctx \
  && docker push -q $reg/inline-@RUN@:1"
timed_cmd[buildkit]="docker build --progress plain --network host --cache-from $reg/inline-@RUN@:1 $args"
tools=(builder buildkit buildah)

# Steps of the 3 (RUN, COPY, RUN) a timed build took from the cache, read from its output.
cached_steps() { # tool log
  case $1 in
    buildah) grep -c -- '^--> Using cache' "$2" || true ;;
    *) awk '/^#[0-9]+ \[[^]]*\] (RUN|COPY) / { step[$1] = 1 } $2 == "CACHED" && ($1 in step) { n++ } END { print n + 0 }' "$2" ;;
  esac
}

declare -A times
mkdir "$work/logs"
for run in $(seq "$runs"); do
  hits="run $run, steps from the cache:"
  for i in "${!tools[@]}"; do
    tool=${tools[$(( (i + run - 1) % ${#tools[@]} ))]}
    fresh "$tool"
    eval "${seed_cmd[$tool]//@RUN@/$run}" >/dev/null 2>"$work/last.err" || { echo "FAILED: $tool seed" >&2; cat "$work/last.err" >&2; exit 1; }
    if [ "$tool" = buildkit ]; then fresh buildkit; fi
    log=$work/logs/$tool-$run.log
    sync   # no write-back left over from the seed (or another tool) is charged to the timed build
    start=$(date +%s%N)
    eval "${timed_cmd[$tool]//@RUN@/$run}" >"$log" 2>&1 || { echo "FAILED: $tool timed" >&2; tail -20 "$log" >&2; exit 1; }
    end=$(date +%s%N); times[$tool]+="$(( (end - start) / 1000000 )) "
    n=$(cached_steps "$tool" "$log"); hits+=" $tool $n/3$([ "$n" -ge 3 ] || echo ' (MISS)')"
  done
  echo "$hits"
done
for tool in "${tools[@]}"; do fresh "$tool"; done

declare -A med
stats() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{ a[NR] = $1 } END { printf "%.2f %.2f %.2f", (a[int((NR + 1) / 2)] + a[int(NR / 2) + 1]) / 2000, a[1] / 1000, a[NR] / 1000 }'; }
printf 'context: %s files, %s; %d cores; buildah %s (%s); %d runs, wall-clock seconds\n' "$(find "$ctx/tree" -type f | wc -l)" \
  "$(du -sh "$ctx/tree" | cut -f1)" "$(nproc)" "$(buildah --version | awk '{ print $3 }')" "$driver" "$runs"
printf '%-9s %-36s %7s %13s\n' tool runs median min-max
for tool in "${tools[@]}"; do
  read -r m lo hi <<<"$(stats "${times[$tool]}")"; med[$tool]=$m
  printf '%-9s %-36s %7s %6s-%-6s\n' "$tool" "$(awk '{ for (i = 1; i <= NF; i++) printf "%.2f ", $i / 1000 }' <<<"${times[$tool]}")" "$m" "$lo" "$hi"
done
for peer in buildkit buildah; do
  awk -v p="$peer" -v b="${med[builder]}" -v k="${med[$peer]}" 'BEGIN {
    r = b / k; printf "builder/%-8s %5.2fx  goal 0.5  %s\n", p, r, (r <= 0.5 ? "met" : "NOT met") }'
done
