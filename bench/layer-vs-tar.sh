#!/usr/bin/env bash
# Layer creation side by side: Builder's layer writer against `tar -c DIR | gzip -6 > out` on the same
# generated source-like tree (~130 MB, 4,000 files: code-like text of varied sizes, some binary), in the same run.
# Runs are interleaved after one untimed warm-up of each (page cache warm for all); the figure is the median
# wall-clock time of the whole command, process start to exit (so .NET start-up and JIT count against us).
# Also shown when installed: pigz -6 and zstd -3 -T0 as parallel peers, and our zstd.
#
# usage: bench/layer-vs-tar.sh [RUNS=5]        env: WORK=DIR reuses a work directory (and its tree)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
if [ -n "${WORK:-}" ]; then
  work=$WORK; mkdir -p "$work"
else
  work=$(mktemp -d /tmp/layer-vs-tar.XXXXXX); trap 'rm -rf "$work"' EXIT
fi

dotnet build -c Release bench/Builder.Benchmarks -nologo -v q >/dev/null
dll=bench/Builder.Benchmarks/bin/Release/net10.0/Builder.Benchmarks.dll
tree=$work/tree
[ -d "$tree" ] || dotnet "$dll" gen-tree "$tree" >/dev/null
bytes=$(find "$tree" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
files=$(find "$tree" -type f | wc -l)

names=("builder layer (gzip 6)" "tar -c | gzip -6")
commands=("dotnet $dll layer $tree $work/ours.tar.gz >/dev/null"
          "tar -C $tree -cf - . | gzip -6 > $work/tar.tar.gz")
outputs=("$work/ours.tar.gz" "$work/tar.tar.gz")
if command -v pigz >/dev/null; then
  names+=("tar -c | pigz -6"); commands+=("tar -C $tree -cf - . | pigz -6 > $work/pigz.tar.gz"); outputs+=("$work/pigz.tar.gz")
fi
names+=("builder layer (zstd 3)"); commands+=("dotnet $dll layer $tree $work/ours.tar.zst --compression zstd >/dev/null"); outputs+=("$work/ours.tar.zst")
if command -v zstd >/dev/null; then
  names+=("tar -c | zstd -3 -T0"); commands+=("tar -C $tree -cf - . | zstd -q -3 -T0 > $work/tar.tar.zst"); outputs+=("$work/tar.tar.zst")
fi

declare -A times
for i in "${!commands[@]}"; do bash -o pipefail -c "${commands[$i]}"; done   # warm-up
for run in $(seq "$runs"); do
  for i in "${!commands[@]}"; do
    start=$(date +%s%N)
    bash -o pipefail -c "${commands[$i]}"
    end=$(date +%s%N)
    times[$i]+="$(( (end - start) / 1000000 )) "
  done
done

# The layers must be what they claim: valid compressed tars holding every file.
gzip -t "$work/ours.tar.gz"
[ "$(tar -tzf "$work/ours.tar.gz" | grep -vc '/$')" -eq "$files" ] || { echo "our layer does not hold $files files" >&2; exit 1; }

median_ms() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
base_ms=$(median_ms "${times[1]}")
printf 'tree: %.1f MB in %d files; %d cores; %d runs each, median wall-clock time\n' "$(awk "BEGIN { print $bytes / 1e6 }")" "$files" "$(nproc)" "$runs"
printf '%-26s %9s %8s %10s %7s %14s\n' tool "median s" "MB/s" "output MB" "in/out" "vs tar|gzip -6"
for i in "${!commands[@]}"; do
  ms=$(median_ms "${times[$i]}")
  size=$(stat -c %s "${outputs[$i]}")
  awk -v n="${names[$i]}" -v ms="$ms" -v b="$bytes" -v s="$size" -v base="$base_ms" 'BEGIN {
    printf "%-26s %9.2f %8.1f %10.1f %7.2f %13.2fx\n", n, ms / 1000, b / 1e6 / (ms / 1000), s / 1e6, b / s, base / ms }'
done
ours_ms=$(median_ms "${times[0]}")
awk -v o="$ours_ms" -v t="$base_ms" 'BEGIN {
  r = t / o; printf "builder layer (gzip 6) throughput = %.2fx tar -c | gzip -6 (goal >= 2x): %s\n", r, (r >= 2 ? "met" : "NOT met") }'
if [ -n "${WORK:-}" ]; then echo "(tree and outputs kept in $work)"; fi
