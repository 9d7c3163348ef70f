#!/usr/bin/env bash
# `builder lint` of 1,000 Dockerfiles in one process, whole process start to exit, with ShellCheck on and off (the
# goal, issue 18: under 3 s with it on). The Dockerfiles are taken round-robin from the repository's Dockerfile
# corpora (BuildKit's parser cases, the lint ShellCheck cases); DISTINCT=1 appends to each a RUN of its own, so
# that no script repeats and the per-script cache cannot help (the worst case).
#
# usage: [DISTINCT=0] bench/lint-1000.sh [RUNS=5]      needs shellcheck (scripts/install-deps.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
command -v shellcheck >/dev/null || { echo "missing shellcheck: run scripts/install-deps.sh" >&2; exit 1; }
work=$(mktemp -d /tmp/lint-1000.XXXXXX)
trap 'rm -rf "$work"' EXIT
dotnet publish -c Release -r linux-x64 src/Builder.Cli -nologo -v q -o "$work/cli" >/dev/null

mapfile -t corpus < <(find tests/Builder.Dockerfile.Tests/TestData/buildkit-parser tests/Builder.Lint.Tests/TestData/shellcheck \
  -type f \( -name 'Dockerfile*' -o -name '*.Dockerfile' \) | sort)
mkdir -p "$work/files"
for i in $(seq 0 999); do
  file="$work/files/$i.Dockerfile"
  cp "${corpus[$((i % ${#corpus[@]}))]}" "$file"
  # shellcheck disable=SC2016 # $HOME is for the Dockerfile's RUN, not for this shell
  [ "${DISTINCT:-0}" = 1 ] && printf '\nRUN cd /srv/app%d && echo $HOME > "/tmp/%d"\n' "$i" "$i" >> "$file"
done
files=("$work"/files/*.Dockerfile)

median() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
declare -A times
for _ in $(seq "$runs"); do
  for mode in auto off; do
    start=$(date +%s%N)
    "$work/cli/builder" lint --no-fail -f json --shellcheck="$mode" "${files[@]}" > "$work/out-$mode.json"
    end=$(date +%s%N)
    times[$mode]+="$(( (end - start) / 1000000 )) "
  done
done
sc=$(grep -o '"code":"SC[0-9]*"' "$work/out-auto.json" | wc -l)
dl=$(grep -o '"code":"[A-Za-z0-9]*"' "$work/out-off.json" | wc -l)
printf '%d Dockerfiles from %d distinct files (DISTINCT=%s); %d cores; findings: %d with ShellCheck (%d SC), %d without\n' \
  "${#files[@]}" "${#corpus[@]}" "${DISTINCT:-0}" "$(nproc)" "$((dl + sc))" "$sc" "$dl"
for mode in auto off; do
  printf 'shellcheck=%-4s runs (ms): %s median %s ms\n' "$mode" "${times[$mode]}" "$(median "${times[$mode]}")"
done
