#!/usr/bin/env bash
# Free loopback ports for the private servers of the tests; sourced by
# servers.sh and webservers.sh, which define `die`.

# True if any TCP socket (any state, IPv4 or IPv6) is bound to port $1.
# /proc/net is used rather than ss or python3, which a bare Debian may lack.
port_in_use() {
	local tables=(/proc/net/tcp)
	[[ ! -r /proc/net/tcp6 ]] || tables+=(/proc/net/tcp6) # absent without IPv6
	awk -v want="$(printf ':%04X' "$1")" \
		'FNR > 1 && substr($2, length($2) - 4) == want { found = 1 } END { exit !found }' \
		"${tables[@]}"
}

# A free port below the kernel's ephemeral range (32768+), so that outgoing
# connections cannot grab it between this check and the server's bind.
free_port() {
	local port _
	for _ in {1..100}; do
		port=$((20000 + RANDOM % 12000))
		port_in_use "$port" || { echo "$port"; return; }
	done
	die "no free TCP port found in 20000-31999"
}
