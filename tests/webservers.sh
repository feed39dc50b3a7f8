#!/usr/bin/env bash
# Private web servers on 127.0.0.1 for HTTP tests and benchmarks: nginx in
# front of php-fpm pools, and Apache 2.4 with mod_php (prefork), each with its
# own configuration, logs and pid files in DIR, on free ports.
#
#   tests/webservers.sh start DIR --docroot PATH [options]
#     DIR: an empty directory made by the caller. Options:
#     --ini FILE           php.ini lines for every PHP started here (extension=
#                          by absolute path, ezcluster.* settings, ...)
#     --pool NAME=WORKDIR  a php-fpm pool (a node) whose own local directory
#                          is WORKDIR, given to its scripts as the environment
#                          variable EZCLUSTER_WORKDIR; repeatable. Default: one
#                          pool "www" with DIR/www.
#     --children N         php-fpm workers per pool (pm = static; default 2)
#     --site HOST=SCRIPT   a name-based site (Host: HOST) whose image URLs go to
#                          SCRIPT instead of index_image.php; repeatable
#     --apache             also start Apache + mod_php
#     --apache-children N  Apache prefork processes (default 4)
#     --no-nginx           no nginx and no php-fpm
#   Sites route image URLs with docs/nginx.conf and docs/apache.conf as they
#   are; other *.php files in the doc root run as scripts. Writes DIR/env
#   (export lines) and prints one line per server:
#     EZCLUSTER_WEB_NGINX           nginx, every pool behind one upstream
#     EZCLUSTER_WEB_POOL_<NAME>     nginx, that pool alone (NAME upper-cased)
#     EZCLUSTER_WEB_APACHE          Apache
#   On failure: log tails, everything stopped, exit 1.
#
#   tests/webservers.sh stop DIR    stops every server started in DIR, removes DIR.
#
# Runs as root (then php-fpm runs with -R, Apache's children as www-data, so
# DIR, the doc root and the extension must be readable by them) or as any
# other user.
set -euo pipefail

PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
READY_TIMEOUT=30 # seconds for a server to come up or go away
FPM=${FPM:-php-fpm8.2}
APACHE=${APACHE:-apache2}
APACHE_MODULES=${APACHE_MODULES:-/usr/lib/apache2/modules}
NGINX=${NGINX:-nginx}

die() {
	echo "webservers.sh: $*" >&2
	exit 1
}

# shellcheck source=tests/server-common.sh
source "$ROOT/tests/server-common.sh"

# The pid in pid file $1 if it is alive and its command line mentions $DIR
# (guards against a recycled pid).
live_pid() {
	local pid
	pid=$(cat "$1" 2>/dev/null) && [[ -n $pid ]] &&
		grep -qaF -- "$DIR" "/proc/$pid/cmdline" 2>/dev/null && echo "$pid"
}

# Sends SIGTERM to the server of pid file $1 and waits until it is gone.
stop_pid() {
	local pid
	pid=$(live_pid "$1") || return 0
	terminate "$pid" "webservers.sh: $1"
}

# Waits until $1 answers HTTP at all (any status); returns 1 when pid $2 dies
# or time runs out.
wait_http() {
	local deadline=$((SECONDS + READY_TIMEOUT))
	until curl -s -o /dev/null --max-time 2 "$1/__ezcluster_webservers_ready"; do
		if ! kill -0 "$2" 2>/dev/null || ((SECONDS >= deadline)); then
			return 1
		fi
		sleep 0.1
	done
}

# ------------------------------------------------------------- php.ini

write_php_ini() {
	mkdir -p "$DIR/php"
	{
		echo "; written by tests/webservers.sh"
		echo "display_errors = Off"
		echo "log_errors = On"
		[[ -z $INI ]] || cat "$INI"
	} >"$DIR/php/php.ini"
	chmod 644 "$DIR/php/php.ini"
}

# ------------------------------------------------------------- php-fpm

write_fpm_conf() {
	local name workdir
	mkdir -p "$DIR/fpm"
	{
		echo "[global]"
		echo "pid = $DIR/fpm/fpm.pid"
		echo "error_log = $DIR/fpm/fpm.log"
		echo "daemonize = no"
		for name in "${POOL_NAMES[@]}"; do
			workdir=${POOLS[$name]}
			mkdir -p "$workdir"
			echo "[$name]"
			echo "listen = $DIR/fpm/$name.sock"
			echo "listen.mode = 0666"
			((EUID != 0)) || echo "user = root"
			echo "pm = static"
			echo "pm.max_children = $CHILDREN"
			# php-fpm runs each script in the script's directory: scripts
			# find their node's own directory (its local var/) here.
			echo "chdir = $workdir"
			echo "env[EZCLUSTER_WORKDIR] = $workdir"
			echo "catch_workers_output = yes"
			echo "php_admin_value[error_log] = $DIR/fpm/$name-php.log"
		done
	} >"$DIR/fpm/fpm.conf"
}

start_fpm() {
	local name root_flag=() pid deadline=$((SECONDS + READY_TIMEOUT))
	((EUID != 0)) || root_flag=(-R)
	setsid "$FPM" --nodaemonize "${root_flag[@]}" -c "$DIR/php/php.ini" -y "$DIR/fpm/fpm.conf" \
		</dev/null >>"$DIR/fpm/fpm.log" 2>&1 &
	pid=$!
	for name in "${POOL_NAMES[@]}"; do
		until [[ -S $DIR/fpm/$name.sock ]]; do
			if ! kill -0 "$pid" 2>/dev/null || ((SECONDS >= deadline)); then
				show_log "$DIR/fpm/fpm.log"
				die "php-fpm did not start (pool $name)"
			fi
			sleep 0.1
		done
	done
}

# --------------------------------------------------------------- nginx

# docs/nginx.conf, for one upstream and one image script.
nginx_site() { # $1 = upstream, $2 = image script
	sed -e "s/ezcluster_fpm/$1/g" -e "s#/index_image\\.php#/$2#g" "$ROOT/docs/nginx.conf"
}

# One server block: listen port $1, upstream $2, then "host=script" sites.
nginx_server() {
	local port=$1 upstream=$2 site host script
	shift 2
	printf '    server {\n        listen 127.0.0.1:%s default_server;\n        root %s;\n' "$port" "$DOCROOT"
	nginx_site "$upstream" index_image.php | sed 's/^/        /'
	printf '    }\n'
	for site in "$@"; do
		host=${site%%=*} script=${site#*=}
		printf '    server {\n        listen 127.0.0.1:%s;\n        server_name %s;\n        root %s;\n' \
			"$port" "$host" "$DOCROOT"
		nginx_site "$upstream" "$script" | sed 's/^/        /'
		printf '    }\n'
	done
}

write_nginx_conf() {
	local name
	mkdir -p "$DIR/nginx/tmp"
	# docs/nginx.conf includes it relative to the configuration, as a site would.
	cp /etc/nginx/fastcgi_params "$DIR/nginx/"
	{
		((EUID != 0)) || echo "user root;"
		echo "daemon off;"
		echo "worker_processes 1;"
		echo "pid $DIR/nginx/nginx.pid;"
		echo "error_log $DIR/nginx/error.log warn;"
		echo "events { worker_connections 1024; }"
		echo "http {"
		echo "    include /etc/nginx/mime.types;"
		echo "    access_log off;"
		echo "    keepalive_requests 100000;"
		for t in client_body fastcgi proxy uwsgi scgi; do
			echo "    ${t}_temp_path $DIR/nginx/tmp/$t;"
		done
		printf '    upstream ezcluster_all {\n'
		for name in "${POOL_NAMES[@]}"; do
			printf '        server unix:%s;\n' "$DIR/fpm/$name.sock"
		done
		printf '    }\n'
		for name in "${POOL_NAMES[@]}"; do
			printf '    upstream ezcluster_pool_%s { server unix:%s; }\n' "$name" "$DIR/fpm/$name.sock"
		done
		nginx_server "${NGINX_PORTS[all]}" ezcluster_all "${SITES[@]}"
		for name in "${POOL_NAMES[@]}"; do
			nginx_server "${NGINX_PORTS[$name]}" "ezcluster_pool_$name" "${SITES[@]}"
		done
		echo "}"
	} >"$DIR/nginx/nginx.conf"
}

run_nginx() {
	local name pid
	declare -gA NGINX_PORTS=([all]=$(free_port))
	for name in "${POOL_NAMES[@]}"; do
		NGINX_PORTS[$name]=$(free_port)
	done
	write_nginx_conf
	"$NGINX" -t -q -p "$DIR/nginx" -e "$DIR/nginx/error.log" -c "$DIR/nginx/nginx.conf" \
		2>>"$DIR/nginx/error.log" || return 1
	setsid "$NGINX" -p "$DIR/nginx" -e "$DIR/nginx/error.log" -c "$DIR/nginx/nginx.conf" \
		</dev/null >>"$DIR/nginx/error.log" 2>&1 &
	pid=$!
	wait_http "http://127.0.0.1:${NGINX_PORTS[all]}" "$pid"
}

# -------------------------------------------------------------- Apache

apache_vhost() { # $1 = port, $2 = host or "", $3 = image script
	printf '<VirtualHost 127.0.0.1:%s>\n' "$1"
	[[ -z $2 ]] || printf '    ServerName %s\n' "$2"
	printf '    DocumentRoot %s\n' "$DOCROOT"
	sed "s#/index_image\\.php#/$3#g" "$ROOT/docs/apache.conf" | sed 's/^/    /'
	printf '</VirtualHost>\n'
}

write_apache_conf() {
	local port=$1 site m
	mkdir -p "$DIR/apache/run"
	{
		echo "ServerRoot $DIR/apache"
		echo "ServerName 127.0.0.1"
		echo "Listen 127.0.0.1:$port"
		echo "PidFile $DIR/apache/httpd.pid"
		echo "DefaultRuntimeDir $DIR/apache/run"
		echo "Mutex file:$DIR/apache/run default"
		echo "ErrorLog $DIR/apache/error.log"
		echo "LogLevel warn"
		for m in mpm_prefork authz_core mime dir rewrite; do
			echo "LoadModule ${m}_module $APACHE_MODULES/mod_$m.so"
		done
		echo "LoadModule php_module $APACHE_MODULES/libphp8.2.so"
		echo "PHPIniDir $DIR/php"
		if ((EUID == 0)); then
			echo "User www-data"
			echo "Group www-data"
		fi
		echo "StartServers $APACHE_CHILDREN"
		echo "MinSpareServers $APACHE_CHILDREN"
		echo "MaxSpareServers $APACHE_CHILDREN"
		echo "MaxRequestWorkers $APACHE_CHILDREN"
		echo "MaxConnectionsPerChild 0"
		echo "KeepAliveTimeout 5"
		echo "MaxKeepAliveRequests 0"
		echo "TypesConfig /etc/mime.types"
		echo "<Directory />"
		echo "    AllowOverride None"
		echo "    Require all denied"
		echo "</Directory>"
		echo "<Directory $DOCROOT>"
		echo "    Require all granted"
		echo "</Directory>"
		apache_vhost "$port" "" index_image.php
		for site in "${SITES[@]}"; do
			apache_vhost "$port" "${site%%=*}" "${site#*=}"
		done
	} >"$DIR/apache/httpd.conf"
}

run_apache() {
	local pid
	APACHE_PORT=$(free_port)
	write_apache_conf "$APACHE_PORT"
	"$APACHE" -t -d "$DIR/apache" -f "$DIR/apache/httpd.conf" >>"$DIR/apache/error.log" 2>&1 || return 1
	setsid "$APACHE" -d "$DIR/apache" -f "$DIR/apache/httpd.conf" -DFOREGROUND \
		</dev/null >>"$DIR/apache/error.log" 2>&1 &
	pid=$!
	wait_http "http://127.0.0.1:$APACHE_PORT" "$pid"
}

# Runs "$1" (which must return non-zero on failure) until it gets ports that
# nobody took between our check and its bind.
start_on_free_ports() {
	local run=$1 log=$2 _
	for _ in 1 2 3; do
		"$run" && return 0
		grep -q 'Address already in use' "$log" 2>/dev/null || break
		echo "webservers.sh: a port was taken meanwhile; trying others" >&2
		stop_pid "$3"
	done
	show_log "$log"
	die "${run#run_} did not start"
}

# ------------------------------------------------------------ commands

stop_servers() {
	stop_pid "$DIR/nginx/nginx.pid"
	stop_pid "$DIR/fpm/fpm.pid"
	stop_pid "$DIR/apache/httpd.pid"
}

cmd_start() {
	local name
	[[ -d $DIR && -z $(ls -A "$DIR") ]] || die "start: $DIR must be an existing empty directory"
	[[ -n $DOCROOT && -d $DOCROOT ]] || die "start: --docroot must name a directory"
	((${#POOL_NAMES[@]})) || { POOL_NAMES=(www) && POOLS[www]=$DIR/www; }
	trap 'die interrupted' INT TERM HUP
	trap '(($? == 0)) || { echo "webservers.sh: start failed; stopping the servers" >&2; stop_servers; }' EXIT
	chmod 755 "$DIR" # readable by Apache's www-data children
	write_php_ini
	: >"$DIR/env"
	if ((NGINX_ON)); then
		write_fpm_conf
		start_fpm
		start_on_free_ports run_nginx "$DIR/nginx/error.log" "$DIR/nginx/nginx.pid"
		printf 'export EZCLUSTER_WEB_NGINX=%q\n' "http://127.0.0.1:${NGINX_PORTS[all]}" >>"$DIR/env"
		for name in "${POOL_NAMES[@]}"; do
			printf 'export EZCLUSTER_WEB_POOL_%s=%q\n' "${name^^}" "http://127.0.0.1:${NGINX_PORTS[$name]}" >>"$DIR/env"
		done
		echo "nginx $("$NGINX" -v 2>&1 | sed 's#.*/##') + php-fpm (pools: ${POOL_NAMES[*]}) on 127.0.0.1:${NGINX_PORTS[all]}"
	fi
	if ((APACHE_ON)); then
		start_on_free_ports run_apache "$DIR/apache/error.log" "$DIR/apache/httpd.pid"
		printf 'export EZCLUSTER_WEB_APACHE=%q\n' "http://127.0.0.1:$APACHE_PORT" >>"$DIR/env"
		echo "apache $("$APACHE" -v | sed -n 's#^Server version: Apache/\([^ ]*\).*#\1#p') + mod_php on 127.0.0.1:$APACHE_PORT"
	fi
}

cmd_stop() {
	[[ -d $DIR ]] || return 0
	# Refuse to delete a directory that is not one this script filled.
	[[ -z $(find "$DIR" -mindepth 1 -maxdepth 1 ! -name php ! -name fpm ! -name nginx ! -name apache \
		! -name env ! -name www) ]] || die "stop: $DIR holds files this script did not make; not removing it"
	stop_servers
	rm -rf "$DIR"
}

usage="usage: $0 start DIR --docroot PATH [--ini FILE] [--pool NAME=WORKDIR]... [--children N] [--site HOST=SCRIPT]... [--apache] [--apache-children N] [--no-nginx] | stop DIR"
[[ $# -ge 2 && -n $2 ]] || die "$usage"
command=$1
DIR=$(realpath -m -- "$2")
[[ $DIR != / ]] || die "DIR must be a directory of its own, not /"
shift 2
DOCROOT="" INI="" CHILDREN=2 APACHE_CHILDREN=4 NGINX_ON=1 APACHE_ON=0
POOL_NAMES=() SITES=()
declare -A POOLS=()
while (($#)); do
	case $1 in
	--docroot) DOCROOT=$(realpath -- "$2") && shift ;;
	--ini) INI=$(realpath -- "$2") && shift ;;
	--pool)
		[[ $2 =~ ^[a-z][a-z0-9_]*=/ ]] || die "--pool takes NAME=ABSOLUTE_WORKDIR (NAME: lower-case letters, digits, _)"
		POOL_NAMES+=("${2%%=*}") && POOLS[${2%%=*}]=${2#*=} && shift
		;;
	--children) CHILDREN=$2 && shift ;;
	--site)
		[[ $2 =~ ^[A-Za-z0-9.-]+=[A-Za-z0-9._-]+\.php$ ]] || die "--site takes HOST=SCRIPT.php"
		SITES+=("$2") && shift
		;;
	--apache) APACHE_ON=1 ;;
	--apache-children) APACHE_CHILDREN=$2 && shift ;;
	--no-nginx) NGINX_ON=0 ;;
	*) die "unknown option '$1'; $usage" ;;
	esac
	shift
done
case $command in
start) cmd_start ;;
stop) cmd_stop ;;
*) die "$usage" ;;
esac
