#!/usr/bin/env bash
# Installs the system packages the builder and its tests use (Debian/Ubuntu, as root or through sudo).
# Idempotent: does nothing when everything is already there.
set -euo pipefail
packages=(runc uidmap docker-registry skopeo umoci busybox-static debootstrap apache2-utils curl zstd python3 procps openssl git xz-utils shellcheck)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing: ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
