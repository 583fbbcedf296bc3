#!/usr/bin/env bash
# Starts and stops the local services distroscope runs against: a Temporal dev
# server (with its UI), MinIO and, for the tests, a single-node Ceph RGW.
# Everything listens on 127.0.0.1 and keeps its state under STATE_DIR.
#
#   scripts/stack.sh temporal STATE_DIR PORT UI_PORT   start Temporal (idempotent)
#   scripts/stack.sh minio    STATE_DIR PORT           start MinIO, write STATE_DIR/minio.env
#   scripts/stack.sh test-up  STATE_DIR                Temporal + MinIO + RGW for the tests,
#                                                      write STATE_DIR/test.env
#   scripts/stack.sh worker   STATE_DIR                start bin/distroscope-worker (idempotent)
#   scripts/stack.sh down     STATE_DIR                stop everything started from STATE_DIR
#
# Binaries come from BIN_DIR (default .tools/bin, filled by `go tool task tools`).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
BIN_DIR=${BIN_DIR:-$here/.tools/bin}

die() { echo "stack: $*" >&2; exit 1; }

running() { # pidfile
	[ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

wait_port() { # name host port seconds logfile
	local deadline=$((SECONDS + $4))
	until (exec 3<>"/dev/tcp/$2/$3") 2>/dev/null; do
		if [ $SECONDS -ge $deadline ]; then
			echo "stack: $1 did not open $2:$3 within $4 s; last log lines:" >&2
			tail -n 20 "$5" >&2 || true
			exit 1
		fi
		sleep 0.2
	done
}

start_temporal() { # state port uiport
	local state=$1 port=$2 ui=$3
	mkdir -p "$state"
	local pidf=$state/temporal.pid log=$state/temporal.log
	if running "$pidf"; then echo "stack: Temporal already running (pid $(cat "$pidf"))"; return; fi
	[ -x "$BIN_DIR/temporal" ] || die "$BIN_DIR/temporal missing: run 'go tool task tools'"
	local t0=$SECONDS
	# Search attributes are registered at start so workflows can set them.
	# WAL with synchronous=NORMAL keeps the history durable across a crash
	# of any process (not of the machine) while cutting the fsync per state
	# transition that made every workflow step wait on the disk. Eager
	# activity execution hands an activity to the worker in the reply to the
	# workflow task that scheduled it, saving a round trip per step.
	nohup "$BIN_DIR/temporal" server start-dev --ip 127.0.0.1 --port "$port" --ui-port "$ui" \
		--db-filename "$state/temporal.db" --log-level warn \
		--sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=normal \
		--dynamic-config-value system.enableActivityEagerExecution=true \
		--search-attribute DistroscopeDistro=Keyword --search-attribute DistroscopeRelease=Keyword \
		--search-attribute DistroscopePlan=Keyword --search-attribute DistroscopeLogicalDate=Datetime \
		--search-attribute DistroscopeStage=Keyword \
		>"$log" 2>&1 </dev/null &
	echo $! >"$pidf"
	wait_port Temporal 127.0.0.1 "$port" 60 "$log"
	wait_port "Temporal UI" 127.0.0.1 "$ui" 30 "$log"
	echo "stack: Temporal on 127.0.0.1:$port, UI http://127.0.0.1:$ui ($((SECONDS - t0)) s)"
}

start_minio() { # state port
	local state=$1 port=$2
	mkdir -p "$state/minio-data"
	local pidf=$state/minio.pid log=$state/minio.log env=$state/minio.env
	if running "$pidf"; then echo "stack: MinIO already running (pid $(cat "$pidf"))"; return; fi
	[ -x "$BIN_DIR/minio" ] || die "$BIN_DIR/minio missing: run 'go tool task tools'"
	# Fresh random credentials each start; they live only in the 0600 env file.
	local user pass
	user=ds$(head -c 9 /dev/urandom | od -An -tx1 | tr -d ' \n')
	pass=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
	(umask 077; printf 'DISTROSCOPE_TEST_MINIO_ENDPOINT=127.0.0.1:%s\nDISTROSCOPE_TEST_MINIO_ACCESS_KEY=%s\nDISTROSCOPE_TEST_MINIO_SECRET_KEY=%s\n' "$port" "$user" "$pass" >"$env")
	MINIO_ROOT_USER=$user MINIO_ROOT_PASSWORD=$pass MINIO_BROWSER=off MINIO_UPDATE=off \
		nohup "$BIN_DIR/minio" server --quiet --address "127.0.0.1:$port" "$state/minio-data" \
		>"$log" 2>&1 </dev/null &
	echo $! >"$pidf"
	wait_port MinIO 127.0.0.1 "$port" 60 "$log"
	local deadline=$((SECONDS + 30))
	until curl -fsS "http://127.0.0.1:$port/minio/health/ready" >/dev/null 2>&1; do
		[ $SECONDS -lt $deadline ] || { tail -n 20 "$log" >&2; die "MinIO not ready"; }
		sleep 0.2
	done
	echo "stack: MinIO on 127.0.0.1:$port"
}

stop_pid() { # pidfile name
	running "$1" || { rm -f "$1"; return 0; }
	local pid; pid=$(cat "$1")
	kill "$pid" 2>/dev/null || true
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$pid" 2>/dev/null || true
	rm -f "$1"
	echo "stack: stopped $2"
}

start_worker() { # state
	local state=$1
	mkdir -p "$state"
	local pidf=$state/worker.pid log=$state/worker.log
	[ -x "$here/bin/distroscope-worker" ] || die "bin/distroscope-worker missing: run 'go tool task build'"
	if running "$pidf"; then
		# A rebuilt binary must replace the running one, or the demo would
		# run yesterday's code.
		if [ "$here/bin/distroscope-worker" -nt "$pidf" ]; then stop_pid "$pidf" "worker (rebuilt)"; else
			echo "stack: worker already running (pid $(cat "$pidf"))"; return; fi
	fi
	nohup "$here/bin/distroscope-worker" >>"$log" 2>&1 </dev/null &
	echo $! >"$pidf"
	local deadline=$((SECONDS + 20))
	until grep -q '"Started Worker"' "$log" 2>/dev/null; do
		running "$pidf" || { tail -n 20 "$log" >&2; die "worker exited"; }
		[ $SECONDS -lt $deadline ] || { tail -n 20 "$log" >&2; die "worker did not start"; }
		sleep 0.2
	done
	echo "stack: worker running (pid $(cat "$pidf")), log $log"
}

cmd=${1:-}; shift || true
case "$cmd" in
temporal) start_temporal "$1" "$2" "$3" ;;
worker) start_worker "$1" ;;
minio) start_minio "$1" "$2" ;;
test-up)
	state=$1
	start_temporal "$state" "${TEST_TEMPORAL_PORT:-17233}" "${TEST_TEMPORAL_UI_PORT:-18233}"
	start_minio "$state" "${TEST_MINIO_PORT:-19000}"
	env=$state/test.env
	(umask 077; {
		echo "DISTROSCOPE_TEST_TEMPORAL_ADDRESS=127.0.0.1:${TEST_TEMPORAL_PORT:-17233}"
		cat "$state/minio.env"
	} >"$env")
	# DuckDB (from the npm registry) as an independent Parquet reader: the
	# same pinned install the demo makes (scripts/duckdb/install.sh).
	duck=$here/.tools/duckdb
	"$here/scripts/duckdb/install.sh" "$duck" >/dev/null || die "DuckDB install failed"
	echo "DISTROSCOPE_TEST_DUCKDB=$duck/query.mjs" >>"$env"
	if [ "${SKIP_RGW:-}" = "" ]; then
		"$here/scripts/ceph-rgw.sh" start "$state/rgw" "${TEST_RGW_PORT:-19080}"
		cat "$state/rgw/rgw.env" >>"$env"
	fi
	echo "stack: test services ready; variables in $env"
	;;
down)
	state=$1
	stop_pid "$state/worker.pid" worker
	stop_pid "$state/temporal.pid" Temporal
	stop_pid "$state/minio.pid" MinIO
	if [ -d "$state/rgw" ] && [ -x "$here/scripts/ceph-rgw.sh" ]; then "$here/scripts/ceph-rgw.sh" stop "$state/rgw" || true; fi
	;;
*) sed -n '2,13p' "$0"; exit 2 ;;
esac
