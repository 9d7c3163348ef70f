#!/usr/bin/env bash
# Prints the Debian mirror this machine's apt uses (the first http(s) URI of a Debian source: deb822 *.sources or
# one-line *.list), for debootstrap — never a hard-coded host.
set -euo pipefail
shopt -s nullglob
for f in /etc/apt/sources.list.d/*.sources; do
  uri=$(awk 'tolower($1) == "uris:" { for (i = 2; i <= NF; i++) if ($i ~ /^https?:\/\/.*debian/ && $i !~ /security/) { print $i; exit } }' "$f")
  [ -n "$uri" ] && { echo "$uri"; exit 0; }
done
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
  [ -f "$f" ] || continue
  uri=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^https?:\/\/.*debian/ && $i !~ /security/) { print $i; exit } }' "$f")
  [ -n "$uri" ] && { echo "$uri"; exit 0; }
done
echo "no Debian mirror in /etc/apt/sources.list or /etc/apt/sources.list.d: add one (debootstrap needs it)" >&2
exit 1
