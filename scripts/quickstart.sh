#!/usr/bin/env bash
# Quick start: builds examples/django into an image without Docker Hub or PyPI — a Debian base made with
# debootstrap and `builder import`, Django and gunicorn from Debian's packages — runs it with `builder run`,
# and fetches / and /health/, printing each status.
# usage: scripts/quickstart.sh        (as root on a fresh Debian/Ubuntu machine with the .NET 10 SDK)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
dotnet build -c Release src/Builder.Cli -o .build/cli -nologo -v q
builder() { dotnet .build/cli/builder.dll "$@"; }
export BUILDER_ROOT=${BUILDER_ROOT:-$PWD/.build/store}

# The base image, made once and kept (the tests share this cache).
base=${BUILDER_TEST_CACHE:-/var/cache/builder-tests}/debian-bookworm-minbase
if [ ! -f "$base.done" ]; then
  rm -rf "$base"; mkdir -p "$(dirname "$base")"
  debootstrap --variant=minbase bookworm "$base" "$(scripts/debian-mirror.sh)"
  date -u +%FT%TZ > "$base.done"
fi
builder import "$base" -t debian:bookworm >/dev/null

builder build -t mysite:latest --build-arg BASE_IMAGE=debian:bookworm --build-arg DEPS=debian examples/django

port=8000
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "port $port is in use: stop what listens there first" >&2; exit 1; fi
# Not through the function: $! must be builder itself, which stops its container on SIGTERM.
dotnet .build/cli/builder.dll run --rm -p "127.0.0.1:$port:8000" -e DJANGO_SECRET_KEY="$(head -c 32 /dev/urandom | base64)" mysite:latest >/dev/null 2>&1 & app=$!
trap 'kill -TERM $app 2>/dev/null; wait $app 2>/dev/null || true' EXIT
for _ in $(seq 60); do curl -s -o /dev/null "http://127.0.0.1:$port/health/" && break; sleep 0.5; done
for url in / /health/; do
  printf 'GET %-9s %s\n' "$url" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port$url")"
done
