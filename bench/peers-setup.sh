# Sourced by bench/build-vs-peers.sh and bench/cache-vs-peers.sh, from the repository root with $work set: the peers
# installed, builder as it ships (the native executable `dotnet publish` makes), a local docker-registry holding a
# busybox base, the benchmark's context and Dockerfile (SCALE times 4,000 files / 130 MB), and dockerd for BuildKit
# with its own data root. Sets reg, base, ctx and sock and the functions builder and docker; stops what it started
# on exit.
unmount_under() { grep -o " $1[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true; }
cleanup() {
  [ -n "${registry_pid:-}" ] && kill "$registry_pid" 2>/dev/null || true
  [ -n "${dockerd_pid:-}" ] && kill "$dockerd_pid" 2>/dev/null && sleep 2 || true
  unmount_under "$work"
  rm -rf "$work"
}
trap cleanup EXIT

for tool in docker-registry busybox; do command -v "$tool" >/dev/null || { echo "missing $tool: run scripts/install-deps.sh" >&2; exit 1; }; done
command -v dockerd >/dev/null || apt-get install -y docker.io >/dev/null
command -v buildah >/dev/null || apt-get install -y buildah >/dev/null
command -v runc >/dev/null || apt-get install -y runc >/dev/null
# buildah picks crun when it is installed, and crun fails on this machine's hybrid cgroups: runc, explicitly.
export BUILDAH_RUNTIME=runc

dotnet publish -c Release -r linux-x64 src/Builder.Cli -nologo -v q -o "$work/cli" >/dev/null
dotnet build -c Release bench/Builder.Benchmarks -nologo -v q >/dev/null
builder() { "$work/cli/builder" "$@"; }

# The registry, and the base pushed from a store of its own (every tool's store starts without it).
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
reg=127.0.0.1:$port
cat > "$work/registry.yml" <<YAML
version: 0.1
log: { level: error }
storage: { filesystem: { rootdirectory: $work/registry } }
http: { addr: $reg }
YAML
docker-registry serve "$work/registry.yml" >/dev/null 2>&1 & registry_pid=$!
r=$work/busybox; for d in bin etc tmp root; do mkdir -p "$r/$d"; done; cp "$(command -v busybox)" "$r/bin/busybox"
for a in $(busybox --list); do [ "$a" = busybox ] || ln -sf busybox "$r/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$r/etc/passwd"; printf 'root:x:0:\n' > "$r/etc/group"
sleep 1
base=$reg/busybox:latest
BUILDER_ROOT=$work/base-store builder import "$r" -t "$base" >/dev/null && BUILDER_ROOT=$work/base-store builder push "$base" >/dev/null
rm -rf "$work/base-store"

ctx=$work/context; mkdir -p "$ctx"
scale=${SCALE:-1}
dotnet bench/Builder.Benchmarks/bin/Release/net10.0/Builder.Benchmarks.dll gen-tree "$ctx/tree" $((4000 * scale)) $((130000000 * scale)) >/dev/null
cat > "$ctx/Dockerfile" <<'DOCKERFILE'
ARG BASE
FROM ${BASE}
RUN mkdir /gen && cd /gen && i=0 && while [ $i -lt 2000 ]; do echo "$i" > "f$i"; i=$((i+1)); done
COPY tree /ctx
RUN find /ctx -type f | wc -l > /count && du -s /ctx > /du
DOCKERFILE

sock=$work/dockerd.sock
(setsid dockerd --iptables=false --ip-masq=false --bridge=none --insecure-registry "$reg" --data-root "$work/dockerd/data" \
   --exec-root "$work/dockerd/exec" --pidfile "$work/dockerd/pid" --host "unix://$sock" >"$work/dockerd.log" 2>&1 &)
for _ in $(seq 60); do DOCKER_HOST=unix://$sock /usr/bin/docker version >/dev/null 2>&1 && break; sleep 0.5; done
dockerd_pid=$(cat "$work/dockerd/pid")
docker() { DOCKER_HOST=unix://$sock DOCKER_BUILDKIT=1 /usr/bin/docker "$@"; }
