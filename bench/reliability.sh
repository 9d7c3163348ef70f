#!/usr/bin/env bash
# Reliability probes, from outside, on the real builder (issue 13):
#   kill -9   POINTS builds (a COPY of ~2,000 files, a RUN with a file secret and an env secret, a RUN writing 2,000
#             files) each killed with SIGKILL after a delay spread over the build's duration; after each kill the next
#             build must succeed, and no file under BUILDER_ROOT may hold the secrets' bytes.
#   prune     ROUNDS rounds of 4 concurrent --no-cache builds while `builder prune` loops; every command must exit 0,
#             and every image must run afterwards.
# Prints one line per probe and a summary.
#
# usage: bench/reliability.sh [POINTS=30] [ROUNDS=5]     needs root, runc and busybox (scripts/install-deps.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
points=${1:-30}
rounds=${2:-5}
work=$(mktemp -d /tmp/reliability.XXXXXX)
trap 'pkill -9 -f "sleep 0.4[0-9]" 2>/dev/null || true; rm -rf "$work"' EXIT
dotnet build src/Builder.Cli -c Release -nologo -v q >/dev/null
builder() { dotnet src/Builder.Cli/bin/Release/net10.0/builder.dll "$@"; }
export BUILDER_ROOT=$work/store

# A busybox base, and a context whose build takes a second or two.
mkdir -p "$work/rootfs/bin" "$work/rootfs/etc" "$work/rootfs/tmp" "$work/ctx/files"
cp "$(command -v busybox)" "$work/rootfs/bin/busybox"
for applet in $(busybox --list); do [ "$applet" = busybox ] || ln -sf busybox "$work/rootfs/bin/$applet"; done
echo 'root:x:0:0:root:/root:/bin/sh' > "$work/rootfs/etc/passwd"
builder import "$work/rootfs" -t busybox >/dev/null
for i in $(seq 1 2000); do head -c 2048 /dev/urandom > "$work/ctx/files/f$i"; done
secret_file=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
secret_env=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
echo -n "$secret_file" > "$work/secret"
cat > "$work/ctx/Dockerfile" <<'EOF'
FROM busybox
COPY files /files
RUN --mount=type=secret,id=s --mount=type=secret,id=e,env=E cat /run/secrets/s > /dev/null && test -n "$E" && sleep 0.41
RUN mkdir /many && for i in $(seq 1 2000); do echo $i > /many/$i; done
EOF
build() { MYSECRET=$secret_env builder build --no-cache --progress quiet --secret id=s,src="$work/secret" --secret id=e,env=MYSECRET -t "$1" "$work/ctx"; }
secrets_on_disk() { { grep -rlaF -e "$secret_file" -e "$secret_env" "$BUILDER_ROOT" 2>/dev/null || true; } | head -3; }

# One undisturbed build gives the time the kills are spread over.
start=$(date +%s%N); build probe >/dev/null; duration_ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "one build: ${duration_ms} ms"

kill_ok=0
for point in $(seq 1 "$points"); do
  delay_ms=$(( duration_ms * point / (points + 1) ))
  build "killed:$point" >/dev/null 2>&1 & pid=$!
  sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  verdict=ok
  build "after:$point" >/dev/null 2>"$work/err" || verdict="next build failed: $(head -1 "$work/err")"
  leaked=$(secrets_on_disk)
  [ -z "$leaked" ] || verdict="secret on disk: $leaked"
  [ "$verdict" = ok ] && kill_ok=$((kill_ok + 1))
  echo "kill -9 at ${delay_ms} ms: $verdict"
done
builder prune >/dev/null
leaked=$(secrets_on_disk); [ -z "$leaked" ] || echo "after prune, secret on disk: $leaked"

prune_ok=0; prune_total=0
for round in $(seq 1 "$rounds"); do
  pids=()
  for n in 1 2 3 4; do build "round$round-$n" >"$work/b$n.log" 2>&1 & pids+=($!); done
  prunes=0; prune_failures=0
  while kill -0 "${pids[@]}" 2>/dev/null; do
    builder prune >/dev/null 2>>"$work/prune.log" || prune_failures=$((prune_failures + 1)); prunes=$((prunes + 1))
  done
  build_failures=0
  for n in 1 2 3 4; do wait "${pids[$((n - 1))]}" || { build_failures=$((build_failures + 1)); head -2 "$work/b$n.log"; }; done
  run_failures=0
  for n in 1 2 3 4; do [ "$(builder run --rm "round$round-$n" cat /many/2000 2>/dev/null)" = 2000 ] || run_failures=$((run_failures + 1)); done
  prune_total=$((prune_total + 4 + prunes))
  prune_ok=$((prune_ok + 4 - build_failures + prunes - prune_failures))
  echo "round $round: 4 builds ($build_failures failed), $prunes prunes ($prune_failures failed), images that do not run: $run_failures"
done

echo "summary: kill -9 points survived: $kill_ok/$points; concurrent builds and prunes that succeeded: $prune_ok/$prune_total"
