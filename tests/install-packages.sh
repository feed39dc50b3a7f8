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
# The tests run their own private servers on free ports: system services
# (databases, web servers) are not started by the install where nothing
# forbids it yet (two web servers would fight over port 80 and fail it).
if [ ! -e /usr/sbin/policy-rc.d ]; then
  $sudo sh -c 'printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d'
  trap '$sudo rm -f /usr/sbin/policy-rc.d' EXIT
fi
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
if ! command -v cargo >/dev/null; then
  echo "cargo (Rust >= 1.85) is required and not on PATH" >&2
  exit 1
fi
