#!/usr/bin/env bash
# What the private servers of the tests share: free loopback ports, log
# tails, stopping a process. Sourced by servers.sh and webservers.sh, which
# define `die` and READY_TIMEOUT.

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

# The last lines of log $1 on stderr, to show why a server did not start.
show_log() {
	echo "---- last lines of $1:" >&2
	tail -n 40 "$1" >&2 2>/dev/null || echo "(no log)" >&2
	echo "----" >&2
}

# Sends SIGTERM to pid $1 and waits until it is gone; after READY_TIMEOUT
# seconds it is killed. $2 names it in the message.
terminate() {
	local pid=$1 deadline=$((SECONDS + READY_TIMEOUT))
	kill -TERM "$pid" 2>/dev/null || return 0
	while kill -0 "$pid" 2>/dev/null; do
		if ((SECONDS >= deadline)); then
			echo "$2 ($pid) ignored SIGTERM for ${READY_TIMEOUT}s; killing it" >&2
			kill -KILL "$pid" 2>/dev/null || true
			break
		fi
		sleep 0.1
	done
}
