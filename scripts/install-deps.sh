#!/usr/bin/env bash
# Installs the system packages the builder and its tests use (Debian/Ubuntu, as root or through sudo).
# Idempotent: does nothing when everything is already there.
set -euo pipefail
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
packages=(runc uidmap docker-registry skopeo umoci busybox-static debootstrap apache2-utils curl zstd python3 procps openssl git xz-utils shellcheck
  qemu-user-static passt)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The multi-platform tests' arm64 base: Debian's busybox-static built for arm64, downloaded beside the test cache
# (not installed: it would replace the host's /bin/busybox). Needs arm64 in dpkg's architectures for apt to see it.
cache=${BUILDER_TEST_CACHE:-/var/cache/builder-tests}
if ! ls "$cache"/busybox-static_*_arm64.deb >/dev/null 2>&1; then
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    $sudo dpkg --add-architecture arm64
  fi
  $sudo apt-get update -qq
  $sudo mkdir -p "$cache"
  (cd "$cache" && $sudo apt-get download -qq -o APT::Sandbox::User=root busybox-static:arm64)
fi

# builder run's own network (pasta) opens /dev/net/tun as the user who runs it: distributions ship it mode 0666 (udev's
# MODE="0666"); some machines and containers leave it root's alone.
if [ -c /dev/net/tun ] && [ "$(stat -c %a /dev/net/tun)" != 666 ]; then
  $sudo chmod 0666 /dev/net/tun
fi
