#!/usr/bin/env bash
# ceph-rgw.sh — a throwaway single-node Ceph RADOS Gateway on 127.0.0.1 for
# the store conformance tests (production object storage is Ceph RGW, so the
# tests must talk to the real thing, not an emulation).
#
#   ceph-rgw.sh install                 install Debian's ceph-mon ceph-osd radosgw ceph-common
#   ceph-rgw.sh start STATE_DIR PORT    one mon + one memstore OSD + radosgw (beast) on 127.0.0.1:PORT
#   ceph-rgw.sh stop STATE_DIR          stop the daemons started from STATE_DIR
#
# Runs as root with no systemd and no Docker. Everything (config, mon store,
# OSD, logs, pid files, admin sockets) lives under STATE_DIR; nothing is
# written to /etc/ceph or /var/lib/ceph. `start` wipes the Ceph data in
# STATE_DIR and builds a fresh cluster every time: the OSD keeps objects in
# memory (memstore), so a kept mon store would describe data that is gone.
# See scripts/ceph-rgw.README.md for the design notes and quirks.
set -euo pipefail

readonly PACKAGES=(ceph-mon ceph-osd radosgw ceph-common)
readonly RGW_NAME=client.rgw.distroscope
readonly RGW_UID=distroscope
readonly START_TIMEOUT=${CEPH_RGW_START_TIMEOUT:-60} # seconds until the S3 endpoint must answer
readonly STOP_TIMEOUT=10                              # seconds a daemon gets to exit after SIGTERM (radosgw needs ~4)
readonly MEMSTORE_BYTES=2147483648                    # cap on the OSD's in-memory store (not preallocated)

die() {
	echo "ceph-rgw: $*" >&2
	exit 1
}
say() { echo "ceph-rgw: $*"; }

usage() {
	cat >&2 <<'EOF'
usage: ceph-rgw.sh install
       ceph-rgw.sh start STATE_DIR PORT
       ceph-rgw.sh stop STATE_DIR
EOF
	exit 2
}

# ---------------------------------------------------------------- install

packages_installed() {
	local p status
	for p in "${PACKAGES[@]}"; do
		status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) || return 1
		[[ $status == "install ok installed" ]] || return 1
	done
}

packages_known() {
	local p
	for p in "${PACKAGES[@]}"; do
		apt-cache show "$p" >/dev/null 2>&1 || return 1
	done
}

cmd_install() {
	[[ $(id -u) == 0 ]] || die "install: must run as root (apt-get)"
	if packages_installed; then
		say "install: ${PACKAGES[*]} already installed"
		return 0
	fi
	local t0=$SECONDS out
	out=$(mktemp)
	# shellcheck disable=SC2064
	trap "rm -f '$out'" RETURN
	export DEBIAN_FRONTEND=noninteractive
	if ! packages_known; then
		apt-get update -qq >"$out" 2>&1 || {
			tail -n 20 "$out" >&2
			die "install: apt-get update failed"
		}
	fi
	# No recommends: they pull ceph-mgr and friends, which the test stack does not run.
	apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >"$out" 2>&1 || {
		tail -n 30 "$out" >&2
		die "install: apt-get install ${PACKAGES[*]} failed"
	}
	packages_installed || die "install: ${PACKAGES[*]} still not installed after apt-get"
	say "install: installed ${PACKAGES[*]} ($(ceph --version | awk '{print $3}')) in $((SECONDS - t0)) s"
}

# ---------------------------------------------------------------- processes

# pid_alive PIDFILE: the pid in PIDFILE is a live (non-zombie) process whose
# command line names this STATE_DIR's ceph.conf, so a recycled pid is never
# mistaken for one of ours.
pid_alive() {
	local pidfile=$1 pid state cmdline
	[[ -s $pidfile ]] || return 1
	pid=$(<"$pidfile")
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	[[ -r /proc/$pid/stat ]] || return 1
	# Field 3 of /proc/PID/stat is the state; the comm before it may hold spaces.
	state=$(sed -E 's/^.*\) ([A-Za-z]).*$/\1/' "/proc/$pid/stat" 2>/dev/null) || return 1
	[[ $state != Z && $state != X ]] || return 1
	cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
	[[ $cmdline == *"$CONF"* ]]
}

# launch NAME CMD...: start a daemon in the foreground of its own session
# (so it outlives the caller and ignores the caller's Ctrl-C), output to its
# log, pid to run/NAME.pid. fd 9 (the state-dir lock) is closed for it.
launch() {
	local name=$1
	shift
	setsid "$@" </dev/null >>"$LOG_DIR/$name.out" 2>&1 9>&- &
	echo $! >"$RUN_DIR/$name.pid"
	# Until the forked shell has exec'd the daemon its cmdline is bash's.
	local i
	for ((i = 0; i < 50; i++)); do
		pid_alive "$RUN_DIR/$name.pid" && return 0
		sleep 0.1
	done
	fail_start "$name did not start" "$LOG_DIR/$name.out"
}

stop_daemons() {
	local name pidfile pid waited
	for name in rgw osd mon; do # reverse start order: clients before servers
		pidfile=$RUN_DIR/$name.pid
		if pid_alive "$pidfile"; then
			pid=$(<"$pidfile")
			kill -TERM "$pid" 2>/dev/null || true
			waited=0
			while pid_alive "$pidfile"; do
				if ((waited >= STOP_TIMEOUT * 10)); then
					say "stop: $name (pid $pid) ignored SIGTERM for ${STOP_TIMEOUT} s, sending SIGKILL"
					kill -KILL "$pid" 2>/dev/null || true
					sleep 0.5
					break
				fi
				sleep 0.1
				waited=$((waited + 1))
			done
			pid_alive "$pidfile" && die "stop: $name (pid $pid) is still running"
		fi
		rm -f "$pidfile"
	done
}

# ---------------------------------------------------------------- state dir

set_paths() {
	local dir=$1
	mkdir -p -- "$dir" || die "cannot create state dir $dir"
	STATE_DIR=$(cd -- "$dir" && pwd -P)
	CONF=$STATE_DIR/ceph.conf
	RUN_DIR=$STATE_DIR/run
	LOG_DIR=$STATE_DIR/log
	ENV_FILE=$STATE_DIR/rgw.env
}

lock_state_dir() {
	exec 9>"$STATE_DIR/.lock"
	flock -n 9 && return 0
	say "waiting for another ceph-rgw.sh on $STATE_DIR"
	flock -w 120 9 || die "another ceph-rgw.sh holds $STATE_DIR/.lock"
}

port_in_use() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# http_answers PORT: something on 127.0.0.1:PORT answers an HTTP request.
# Plain bash rather than curl, which a fresh Debian install may lack.
http_answers() (
	exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
	printf 'GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
	IFS= read -r -t 2 line <&3 || exit 1
	[[ $line == "HTTP/1."[01]" "* ]]
) 2>/dev/null

# random_string N CLASS: N characters of CLASS drawn from /dev/urandom.
random_string() {
	local n=$1 class=$2 raw
	raw=$(head -c 8192 /dev/urandom | LC_ALL=C tr -dc "$class")
	((${#raw} >= n)) || die "could not draw $n random characters"
	printf '%s' "${raw:0:n}"
}

write_conf() {
	local fsid=$1 mon_port=$2 port=$3
	cat >"$CONF" <<EOF
# Generated by scripts/ceph-rgw.sh for a throwaway test cluster. Do not edit.
[global]
fsid = $fsid
mon_host = [v2:127.0.0.1:$mon_port]
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1
ms_bind_ipv6 = false
ms_bind_msgr1 = false

# cephx off. With auth none every messenger mode must be crc: the "secure"
# default cannot be negotiated without cephx and radosgw never comes up.
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
ms_cluster_mode = crc
ms_service_mode = crc
ms_client_mode = crc
ms_mon_cluster_mode = crc
ms_mon_service_mode = crc
ms_mon_client_mode = crc
keyring = $STATE_DIR/keyring

# One OSD: replicate to one copy, place on OSDs not hosts, keep PG counts small.
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
osd_crush_chooseleaf_type = 0
mon_allow_pool_size_one = true
mon_allow_pool_delete = true
mon_warn_on_pool_no_redundancy = false
mon_warn_on_insecure_global_id_reclaim_allowed = false

# Commit mon updates at once instead of batching for a second: cuts start-up
# from ~13 s.
paxos_propose_interval = 0.05

run_dir = $RUN_DIR
admin_socket = $RUN_DIR/\$cluster-\$name.asok
log_file = $LOG_DIR/\$name.log
mon_cluster_log_file = $LOG_DIR/\$cluster.log
crash_dir = $STATE_DIR/crash
log_to_stderr = false
err_to_stderr = true

[mon]
mon_data = $STATE_DIR/mon/\$cluster-\$id
# The state dir may sit on a nearly full disk in CI; it holds a few MB.
mon_data_avail_crit = 1
mon_data_avail_warn = 2

[osd]
osd_objectstore = memstore
osd_data = $STATE_DIR/osd/\$cluster-\$id
memstore_device_bytes = $MEMSTORE_BYTES

[$RGW_NAME]
rgw_frontends = beast endpoint=127.0.0.1:$port
rgw_data = $STATE_DIR/rgw
rgw_enable_usage_log = false

[client.admin]
log_file = $LOG_DIR/client.admin.log
EOF
}

ceph_cli() {
	timeout 60 ceph -c "$CONF" --connect-timeout 30 "$@"
}

# fail_start MSG LOG...: say what failed with the tails of the logs that tell
# why, then stop whatever did start.
fail_start() {
	local msg=$1 f
	shift
	echo "ceph-rgw: start: $msg" >&2
	for f in "$@"; do
		if [[ -s $f ]]; then
			echo "---- last lines of $f" >&2
			tail -n 30 "$f" >&2
		fi
	done
	stop_daemons >&2 || true
	exit 1
}

cmd_start() {
	(($# == 2)) || usage
	local port=$2
	# The mon listens on PORT+1, so the top port is left to it.
	if ! [[ $port =~ ^[1-9][0-9]{3,4}$ ]] || ((port < 1024 || port > 65534)); then
		die "start: PORT must be a number in 1024..65534, got '$port'"
	fi
	local bin
	for bin in monmaptool ceph-mon ceph-osd radosgw radosgw-admin ceph flock setsid timeout; do
		command -v "$bin" >/dev/null || die "start: $bin not found (run: $0 install)"
	done
	[[ $START_TIMEOUT =~ ^[1-9][0-9]*$ ]] || die "start: CEPH_RGW_START_TIMEOUT must be a positive number of seconds, got '$START_TIMEOUT'"
	local t0=$EPOCHREALTIME
	set_paths "$1"
	lock_state_dir

	if pid_alive "$RUN_DIR/mon.pid" && pid_alive "$RUN_DIR/osd.pid" && pid_alive "$RUN_DIR/rgw.pid" && [[ -s $ENV_FILE ]]; then
		say "start: already running for $STATE_DIR ($(grep -m1 '^DISTROSCOPE_TEST_RGW_ENDPOINT=' "$ENV_FILE" | cut -d= -f2))"
		return 0
	fi
	# A half-started stack (a daemon crashed, or a start was killed) is torn
	# down so no orphans are left, then rebuilt from scratch.
	if [[ -d $RUN_DIR ]]; then
		stop_daemons
	fi

	local mon_port=$((port + 1))
	port_in_use "$port" && die "start: 127.0.0.1:$port is already in use"
	port_in_use "$mon_port" && die "start: 127.0.0.1:$mon_port (mon, PORT+1) is already in use"

	rm -rf -- "$STATE_DIR/mon" "$STATE_DIR/osd" "$STATE_DIR/rgw" "$STATE_DIR/crash" "$RUN_DIR" "$LOG_DIR" \
		"$STATE_DIR/monmap" "$STATE_DIR/keyring" "$ENV_FILE" "$CONF"
	mkdir -p "$STATE_DIR/mon" "$STATE_DIR/osd/ceph-0" "$STATE_DIR/rgw" "$STATE_DIR/crash" "$RUN_DIR" "$LOG_DIR"
	: >"$STATE_DIR/keyring"

	local fsid osd_uuid osd_id
	fsid=$(</proc/sys/kernel/random/uuid)
	osd_uuid=$(</proc/sys/kernel/random/uuid)
	write_conf "$fsid" "$mon_port" "$port"

	# --- mon
	monmaptool --create --clobber --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_port]" "$STATE_DIR/monmap" \
		>"$LOG_DIR/monmaptool.out" 2>&1 || fail_start "monmaptool failed" "$LOG_DIR/monmaptool.out"
	ceph-mon -c "$CONF" --mkfs -i a --monmap "$STATE_DIR/monmap" >"$LOG_DIR/mon-mkfs.out" 2>&1 ||
		fail_start "ceph-mon --mkfs failed" "$LOG_DIR/mon-mkfs.out"
	launch mon ceph-mon -f -c "$CONF" -i a
	ceph_cli mon stat >/dev/null 2>"$LOG_DIR/cli.out" || fail_start "mon did not answer" "$LOG_DIR/cli.out" "$LOG_DIR/mon.a.log" "$LOG_DIR/mon.out"

	# --- osd (memstore: objects live in the OSD's memory)
	osd_id=$(ceph_cli osd new "$osd_uuid" 2>>"$LOG_DIR/cli.out") || fail_start "ceph osd new failed" "$LOG_DIR/cli.out"
	[[ $osd_id == 0 ]] || fail_start "expected osd id 0, got '$osd_id'" "$LOG_DIR/cli.out"
	ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$osd_uuid" >"$LOG_DIR/osd-mkfs.out" 2>&1 ||
		fail_start "ceph-osd --mkfs failed" "$LOG_DIR/osd-mkfs.out"
	launch osd ceph-osd -f -c "$CONF" -i 0

	# --- radosgw: it creates its pools itself once the OSD is up.
	launch rgw radosgw -f -c "$CONF" -n "$RGW_NAME"

	local deadline=$((SECONDS + START_TIMEOUT)) name
	until http_answers "$port"; do
		for name in mon osd rgw; do
			if ! pid_alive "$RUN_DIR/$name.pid"; then
				case $name in
				mon) fail_start "ceph-mon exited" "$LOG_DIR/mon.a.log" "$LOG_DIR/mon.out" ;;
				osd) fail_start "ceph-osd exited" "$LOG_DIR/osd.0.log" "$LOG_DIR/osd.out" ;;
				rgw) fail_start "radosgw exited" "$LOG_DIR/$RGW_NAME.log" "$LOG_DIR/rgw.out" ;;
				esac
			fi
		done
		((SECONDS < deadline)) || fail_start "S3 endpoint 127.0.0.1:$port did not answer within ${START_TIMEOUT} s" "$LOG_DIR/$RGW_NAME.log" "$LOG_DIR/rgw.out" "$LOG_DIR/osd.0.log"
		sleep 0.2
	done

	# --- S3 user with fresh random keys. The keys pass through radosgw-admin's
	# argv for an instant; its output (which echoes them) is discarded.
	local access_key secret_key
	access_key=$(random_string 20 'A-Z0-9')
	secret_key=$(random_string 40 'A-Za-z0-9')
	timeout 60 radosgw-admin -c "$CONF" user create --uid="$RGW_UID" --display-name="distroscope tests" \
		--access-key="$access_key" --secret-key="$secret_key" >/dev/null 2>"$LOG_DIR/radosgw-admin.out" ||
		fail_start "radosgw-admin user create failed" "$LOG_DIR/radosgw-admin.out"

	(
		umask 077
		cat >"$ENV_FILE.tmp" <<EOF
DISTROSCOPE_TEST_RGW_ENDPOINT=127.0.0.1:$port
DISTROSCOPE_TEST_RGW_ACCESS_KEY=$access_key
DISTROSCOPE_TEST_RGW_SECRET_KEY=$secret_key
EOF
	)
	chmod 0600 "$ENV_FILE.tmp"
	mv -f "$ENV_FILE.tmp" "$ENV_FILE"

	local elapsed
	elapsed=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
	say "start: RGW on 127.0.0.1:$port (mon 127.0.0.1:$mon_port, memstore OSD) up in ${elapsed} s; credentials in $ENV_FILE"
}

cmd_stop() {
	(($# == 1)) || usage
	[[ -d $1 ]] || {
		say "stop: $1 does not exist, nothing to stop"
		return 0
	}
	set_paths "$1"
	lock_state_dir
	stop_daemons
	say "stop: stopped daemons of $STATE_DIR"
}

(($# >= 1)) || usage
cmd=$1
shift
case $cmd in
install) (($# == 0)) || usage; cmd_install ;;
start) cmd_start "$@" ;;
stop) cmd_stop "$@" ;;
*) usage ;;
esac
