#!/usr/bin/env bash
# Regenerates expected.json for every case with BuildKit (dockerd from Debian's docker.io, 20.10, DOCKER_BUILDKIT=1).
# Not run by the tests or CI: the outputs are committed. Needs root, docker.io, busybox-static and a built `builder`.
# usage: generate-references.sh PATH/TO/builder.dll PATH/TO/buildkit-reference.sh [CASE...]   (no CASE: all of them)
set -euo pipefail
builder_dll=$1; reference=$2; shift 2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
# The same busybox tree the tests make (Fixtures/BaseRootfs.CreateBusyboxAsync), imported and loaded into dockerd.
r=$work/rootfs
for d in bin etc tmp root home dev proc sys usr/bin var/tmp; do mkdir -p "$r/$d"; done
chmod 1777 "$r/tmp"; cp "$(command -v busybox)" "$r/bin/busybox"
for a in $(busybox --list); do [ "$a" = busybox ] || [ -e "$r/bin/$a" ] || ln -s busybox "$r/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$r/etc/passwd"
printf 'root:x:0:\napp:x:1000:\nnogroup:x:65534:\n' > "$r/etc/group"
BUILDER_ROOT=$work/store dotnet "$builder_dll" import "$r" -t busybox
BUILDER_ROOT=$work/store dotnet "$builder_dll" save busybox -o "$work/busybox.tar" --format docker
mkdir -p "$work/boot" && printf 'FROM scratch\nLABEL boot=1\n' > "$work/boot/Dockerfile"
bash "$reference" "$work/boot" >/dev/null 2>&1 || true   # starts dockerd
DOCKER_HOST=unix:///tmp/buildkit-reference/dockerd.sock /usr/bin/docker load -i "$work/busybox.tar"
python3 "$(dirname "$reference")/imgsum.py" docker "$work/busybox.tar" > "$here/base.json"
cases=("$@"); [ ${#cases[@]} -gt 0 ] || cases=("$here"/[0-9]*/)
for case in "${cases[@]}"; do
  case=$here/$(basename "$case")
  args=$(cat "$case/build-args" 2>/dev/null || true)
  # shellcheck disable=SC2086
  # Written beside, then moved: a redirect into the context would put an empty expected.json into the build.
  bash "$reference" "$case" $args > "$work/expected.json"
  mv "$work/expected.json" "$case/expected.json"
  echo "generated ${case#"$here"/}"
done
