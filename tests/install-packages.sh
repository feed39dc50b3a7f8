#!/usr/bin/env bash
# Installs the named Debian packages that are missing; does nothing when all
# are there, so `make` stays fast on a prepared machine.
set -euo pipefail
missing=()
for pkg in "$@"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}"
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
# A system database service apt may start is left alone: the tests run their
# own private servers on free ports.
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
if ! command -v cargo >/dev/null; then
  echo "cargo (Rust >= 1.85) is required and not on PATH" >&2
  exit 1
fi
