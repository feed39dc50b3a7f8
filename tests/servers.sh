#!/usr/bin/env bash
# Private MariaDB and PostgreSQL servers on 127.0.0.1 for the backend tests.
#
#   tests/servers.sh start DIR          DIR: an empty directory made by the caller.
#                                       Starts both servers, writes DIR/env (export
#                                       lines EZCLUSTER_TEST_{MYSQL,PGSQL}_*) and
#                                       prints one "<server> <version> on host:port"
#                                       line each. On failure: log tail, stop, exit 1.
#   tests/servers.sh stop DIR           Stops both (if running) and removes DIR.
#   tests/servers.sh restart-mysql DIR  Stops and starts one server on the same port
#   tests/servers.sh restart-pgsql DIR  and data, so tests can prove reconnection.
#
# The system services and their data (/var/lib/mysql, the Debian PostgreSQL
# cluster) are never touched: everything lives in DIR.
set -euo pipefail

PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
READY_TIMEOUT=60 # seconds for a server to accept connections or stop
DB_NAME=ezcluster_test
DB_USER=ezcluster
umask 077 # the password files and data dirs are nobody else's business

die() {
	echo "servers.sh: $*" >&2
	exit 1
}

# port_in_use, free_port, show_log, terminate (shared with webservers.sh).
# shellcheck source=tests/server-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/server-common.sh"

random_password() {
	od -An -N16 -tx1 /dev/urandom | tr -d ' \n'
}

# Runs "$1 PORT" (which must return non-zero on failure) with a free port and
# sets SERVER_PORT. Another run of this script may take the same port between
# our check and the bind, so a bind failure is retried with a new port.
start_on_free_port() {
	local run=$1 log=$2 _
	for _ in 1 2 3; do
		SERVER_PORT=$(free_port)
		"$run" "$SERVER_PORT" && return 0
		grep -q 'Address already in use' "$log" 2>/dev/null || break
		echo "servers.sh: port $SERVER_PORT was taken meanwhile; trying another" >&2
	done
	show_log "$log"
	die "${run#run_} did not start"
}

# ---------------------------------------------------------------- MariaDB

MY_OS_USER=$(id -un) # mariadbd refuses to run as root unless told --user=root

# Options shared by the bootstrap and the server, so that InnoDB files are
# created at their final size. A modest buffer pool (2 cores, tests run in
# parallel); the 200 MiB one-transaction store passes even with the default
# 96M redo log, 256M leaves room for several at once. No durability needed.
# utf8mb4 as Debian's own config sets it (--no-defaults would give latin1).
MY_OPTIONS=(
	--innodb-buffer-pool-size=128M
	--innodb-log-file-size=256M
	--innodb-flush-log-at-trx-commit=0
	--character-set-server=utf8mb4
	--collation-server=utf8mb4_general_ci
	--skip-name-resolve
)

init_mariadb() {
	mkdir "$MY"
	mariadb-install-db --no-defaults --user="$MY_OS_USER" --datadir="$MY/data" \
		--skip-test-db "${MY_OPTIONS[@]}" >"$MY/install.log" 2>&1 ||
		{ show_log "$MY/install.log"; die "mariadb-install-db failed"; }
}

# Starts mariadbd on port $1 in its own session (so a Ctrl-C aimed at the
# caller does not hit it) and waits until it answers; returns 1 if it dies
# or does not answer in time. A lock wait times out after 1 s instead of 50:
# tests/contention.rs holds a row lock past it to make a store meet real
# errors 1205 (a session variable, and the store's session is not the
# test's to change); other tests' stores are retried if they ever wait as long.
run_mariadb() {
	local pid deadline=$((SECONDS + READY_TIMEOUT))
	setsid mariadbd --no-defaults --user="$MY_OS_USER" --datadir="$MY/data" \
		--port="$1" --bind-address=127.0.0.1 --socket="$MY/mariadb.sock" \
		--pid-file="$MY/mariadb.pid" --log-error="$MY/mariadb.log" \
		--max-allowed-packet=64M "${MY_OPTIONS[@]}" \
		--innodb-lock-wait-timeout=1 </dev/null >>"$MY/mariadb.log" 2>&1 &
	pid=$!
	until mariadb-admin --no-defaults --socket="$MY/mariadb.sock" --connect-timeout=2 \
		--silent ping >/dev/null 2>&1; do
		if ! kill -0 "$pid" 2>/dev/null || ((SECONDS >= deadline)); then
			kill -KILL "$pid" 2>/dev/null || true
			return 1
		fi
		sleep 0.2
	done
}

# The OS user is the server's superuser over the socket (unix_socket auth).
create_mariadb_db() { # $1 = password
	mariadb --no-defaults --socket="$MY/mariadb.sock" --user="$MY_OS_USER" <<-SQL
		CREATE DATABASE $DB_NAME;
		CREATE USER $DB_USER@'127.0.0.1' IDENTIFIED BY '$1';
		CREATE USER $DB_USER@localhost IDENTIFIED BY '$1';
		GRANT ALL ON $DB_NAME.* TO $DB_USER@'127.0.0.1', $DB_USER@localhost;
	SQL
}

# True while the pid in the pid file is our mariadbd. Checking the command
# line guards against a recycled pid; a zombie has an empty one.
mariadb_pid() {
	local pid
	pid=$(cat "$MY/mariadb.pid" 2>/dev/null) &&
		grep -qaF -- "--datadir=$MY/data" "/proc/$pid/cmdline" 2>/dev/null &&
		echo "$pid"
}

stop_mariadb() {
	local pid
	pid=$(mariadb_pid) || return 0
	terminate "$pid" "servers.sh: mariadbd"
}

# ------------------------------------------------------------- PostgreSQL

# initdb and pg_ctl refuse to run as root: run them as the postgres user,
# from a directory it may enter (they look up the current directory).
as_postgres() {
	if ((EUID == 0)); then
		(cd "$PG" && runuser -u postgres -- "$@")
	else
		"$@"
	fi
}

init_postgresql() { # $1 = password of the superuser $DB_USER
	if ((EUID == 0)); then
		id postgres >/dev/null 2>&1 ||
			useradd --system --user-group --no-create-home --shell /usr/sbin/nologin postgres
		chmod a+x "$DIR" # mktemp -d makes it 0700
		mkdir "$PG"
		chown postgres: "$PG"
		runuser -u postgres -- test -w "$PG" ||
			die "the postgres user cannot reach $PG: every parent directory must be traversable"
	else
		mkdir "$PG"
	fi
	printf '%s\n' "$1" >"$PG/password"
	[[ $EUID != 0 ]] || chown postgres: "$PG/password"
	as_postgres "$PG_BIN/initdb" --pgdata="$PG/data" --username="$DB_USER" \
		--pwfile="$PG/password" --auth=scram-sha-256 --encoding=UTF8 --locale=C \
		--no-sync --no-instructions >"$PG/initdb.log" 2>&1 ||
		{ show_log "$PG/initdb.log"; die "initdb failed"; }
	rm "$PG/password"
	# Loopback only, no durability, small memory. The port is given at start.
	cat >>"$PG/data/postgresql.conf" <<-CONF
		listen_addresses = '127.0.0.1'
		unix_socket_directories = '$PG'
		fsync = off
		synchronous_commit = off
		full_page_writes = off
		shared_buffers = 32MB
	CONF
}

run_postgresql() { # $1 = port; pg_ctl -w waits until connections are accepted
	as_postgres "$PG_BIN/pg_ctl" --pgdata="$PG/data" --log="$PG/postgresql.log" \
		--options="-p $1" --wait --timeout="$READY_TIMEOUT" start >/dev/null
}

psql_tcp() { # $1 = port, $2 = password, then psql arguments
	PGPASSWORD=$2 "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$1" -U "$DB_USER" "${@:3}"
}

stop_postgresql() {
	[[ -d $PG/data ]] && as_postgres "$PG_BIN/pg_ctl" --pgdata="$PG/data" status >/dev/null ||
		return 0
	as_postgres "$PG_BIN/pg_ctl" --pgdata="$PG/data" --mode=fast --wait \
		--timeout="$READY_TIMEOUT" stop >/dev/null
}

# --------------------------------------------------------------- commands

write_env() { # $1 = MYSQL|PGSQL, port, password, socket
	local prefix=EZCLUSTER_TEST_$1
	printf 'export %s=%q\n' "${prefix}_HOST" 127.0.0.1 "${prefix}_PORT" "$2" \
		"${prefix}_NAME" "$DB_NAME" "${prefix}_USER" "$DB_USER" \
		"${prefix}_PASSWORD" "$3" "${prefix}_SOCKET" "$4" >>"$DIR/env"
}

cmd_start() {
	local pw my_version pg_version
	[[ -d $DIR && -z $(ls -A "$DIR") ]] || die "start: $DIR must be an existing empty directory"
	# Whatever fails (or is interrupted) below: stop what was started. DIR
	# and its logs stay for the caller's "stop".
	trap 'die interrupted' INT TERM HUP
	trap '(($? == 0)) || { echo "servers.sh: start failed; stopping the servers" >&2; stop_servers; }' EXIT

	pw=$(random_password)
	init_mariadb
	start_on_free_port run_mariadb "$MY/mariadb.log"
	create_mariadb_db "$pw"
	my_version=$(MYSQL_PWD=$pw mariadb --no-defaults -h 127.0.0.1 -P "$SERVER_PORT" \
		-u "$DB_USER" -N -s -e 'SELECT VERSION()' "$DB_NAME")
	write_env MYSQL "$SERVER_PORT" "$pw" "$MY/mariadb.sock"
	echo "mariadb $my_version on 127.0.0.1:$SERVER_PORT"

	pw=$(random_password)
	init_postgresql "$pw"
	start_on_free_port run_postgresql "$PG/postgresql.log"
	psql_tcp "$SERVER_PORT" "$pw" -d postgres -c "CREATE DATABASE $DB_NAME OWNER $DB_USER"
	pg_version=$(psql_tcp "$SERVER_PORT" "$pw" -d "$DB_NAME" -A -t -c 'SHOW server_version')
	write_env PGSQL "$SERVER_PORT" "$pw" "$PG"
	echo "postgresql $pg_version on 127.0.0.1:$SERVER_PORT"
}

stop_servers() {
	stop_mariadb
	stop_postgresql
}

cmd_stop() {
	[[ -d $DIR ]] || return 0
	# Refuse to delete a directory that is not one this script filled.
	[[ -z $(find "$DIR" -mindepth 1 -maxdepth 1 ! -name mariadb ! -name pgsql ! -name env) ]] ||
		die "stop: $DIR holds files this script did not make; not removing it"
	stop_servers
	rm -rf "$DIR"
}

cmd_restart() { # $1 = MYSQL|PGSQL
	local port_var=EZCLUSTER_TEST_$1_PORT
	[[ -f $DIR/env ]] || die "restart: $DIR/env missing; was '$0 start $DIR' run?"
	# shellcheck source=/dev/null
	source "$DIR/env"
	case $1 in
	MYSQL)
		stop_mariadb
		run_mariadb "${!port_var}" || { show_log "$MY/mariadb.log"; die "mariadb did not restart"; }
		;;
	PGSQL)
		stop_postgresql
		run_postgresql "${!port_var}" || { show_log "$PG/postgresql.log"; die "postgresql did not restart"; }
		;;
	esac
}

[[ $# == 2 && -n $2 ]] || die "usage: $0 start|stop|restart-mysql|restart-pgsql DIR"
DIR=$(realpath -m -- "$2") # absolute, since the servers run from other directories
[[ $DIR != / ]] || die "DIR must be a directory of its own, not /"
MY=$DIR/mariadb
PG=$DIR/pgsql
case $1 in
start) cmd_start ;;
stop) cmd_stop ;;
restart-mysql) cmd_restart MYSQL ;;
restart-pgsql) cmd_restart PGSQL ;;
*) die "unknown command '$1'; usage: $0 start|stop|restart-mysql|restart-pgsql DIR" ;;
esac
