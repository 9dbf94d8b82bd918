# shellcheck shell=bash
# shellcheck disable=SC2034 # NUC_RC, T, ... are read by the test files
# Shared helpers of the integration tests: nucleus-init as PID 1 of a fresh
# PID + mount namespace, a nucleusctl wrapper, waits with deadlines, and JSON
# field extraction with grep/sed only (no jq, no python in CI).
#
# A test file does:
#	load ../lib/common
#	setup() { nuc_setup; }
#	teardown() { nuc_teardown; }
# then writes "$M" (write_manifest <<EOF ... EOF), calls nuc_start (never
# inside `run`: the namespace must be a child of the test's own shell), and
# asserts through ctl / svc_get / wait_for_state.
#
#	nuc_start [ARGS]          start, wait until the control socket answers
#	                          (its output goes to $LOG, or to $NUC_OUT when set)
#	nuc_start_bg [ARGS]       start, wait only for the pid (NUC_PID)
#	nuc_wait_exit [S]         wait for the namespace to end; status in NUC_RC
#	nuc_kill SIG              signal nucleus-init (PID 1 inside)
#	nuc_alive                 is the namespace still there
#	ctl ARGS                  nucleusctl --runtime-dir "$RUN" ARGS
#	svc_json NAME / svc_get NAME KEY / json_get JSON KEY
#	state_is NAME STATE / wait_for_state NAME STATE [S]
#	wait_until S CMD...       CMD until it succeeds, or fail at the deadline
#	holds S CMD...            CMD keeps succeeding for S seconds
#	refute CMD...             CMD must fail
#	wait_for_file F [S] / wait_for_line F REGEX [S] / wait_for_log REGEX [S]
#	ns_procs / ns_procs_are N / ns_zombies    processes inside the namespace
#	track_pid PID             killed (with its children) at teardown

NUC_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bats_require_minimum_version 1.5.0

# NUC_BUILD_DIR: where the binaries are (default build/; a copy lets the
# tests run while somebody rebuilds the tree).
NUC_BUILD_DIR=${NUC_BUILD_DIR:-$NUC_ROOT/build}
NUC_INIT=$NUC_BUILD_DIR/nucleus-init
NUC_CTL=$NUC_BUILD_DIR/nucleusctl
NHELPER=$NUC_BUILD_DIR/nhelper
export NUC_ROOT NUC_INIT NUC_CTL NHELPER

# Per test: T (the test's own tmp dir), RUN (runtime dir), M (manifest), LOG
# (everything nucleus-init printed).
nuc_setup() {
	local f
	for f in "$NUC_INIT" "$NUC_CTL" "$NHELPER"; do
		if [ ! -x "$f" ]; then
			echo "missing $f: run make first" >&2
			return 1
		fi
	done
	T=${BATS_TEST_TMPDIR:-}
	# the control socket path must fit in sun_path (108 bytes)
	if [ -z "$T" ] || [ ${#T} -gt 70 ]; then
		T=$(mktemp -d /tmp/nuc-test.XXXXXX)
		NUC_OWN_TMP=$T
	fi
	RUN=$T/run
	M=$T/manifest.ini
	LOG=$T/init.log
	NUC_UNSHARE_PID=
	NUC_PID=
	NUC_RC=
	NUC_EXTRA_PIDS=()
	export T RUN M LOG
}

# The manifest from stdin.
write_manifest() {
	cat >"$M"
}

now_ms() {
	local t=${EPOCHREALTIME/./}
	echo $((t / 1000))
}

# wait_until TIMEOUT_S CMD [ARGS...]: run CMD until it succeeds, or fail
# when the deadline passes.
wait_until() {
	local timeout=$1 deadline frac=000
	shift
	[[ $timeout == *.* ]] && frac=${timeout#*.}000
	deadline=$(($(now_ms) + ${timeout%.*} * 1000 + 10#${frac:0:3}))
	while ! "$@"; do
		if [ "$(now_ms)" -ge "$deadline" ]; then
			echo "timed out after ${timeout}s waiting for: $*" >&2
			return 1
		fi
		sleep 0.02
	done
}

# holds SECONDS CMD [ARGS...]: CMD keeps succeeding for SECONDS (checked
# over and over); for "this does not happen" assertions.
holds() {
	local secs=$1 deadline frac=000
	shift
	[[ $secs == *.* ]] && frac=${secs#*.}000
	deadline=$(($(now_ms) + ${secs%.*} * 1000 + 10#${frac:0:3}))
	while [ "$(now_ms)" -lt "$deadline" ]; do
		if ! "$@"; then
			echo "no longer true: $*" >&2
			return 1
		fi
		sleep 0.02
	done
	"$@"
}

# Starts nucleus-init in the background, PID 1 of a new PID and mount
# namespace; does not wait for anything. Extra arguments go to nucleus-init.
# NUC_INIT may be a command line with a wrapper in front of the binary
# (e.g. "unshare --net WRAPPER"): it is split at blanks.
nuc_start_bg() {
	local -a init
	read -ra init <<<"$NUC_INIT"
	# bridged services make a bridge, veths and nftables rules: never in
	# the host's own network namespace
	if grep -qE '^[[:space:]]*network[[:space:]]*=[[:space:]]*bridge' "$M" 2>/dev/null &&
		[[ $NUC_INIT != *"unshare --net"* ]]; then
		echo "nuc_start: a manifest with network = bridge needs nucleus-init in its own" \
			"network namespace (NUC_INIT=\"unshare --net ...\")" >&2
		return 1
	fi
	: >"$LOG"
	unshare --pid --fork --kill-child --mount --mount-proc \
		"${init[@]}" --manifest "$M" --runtime-dir "$RUN" "$@" \
		>"${NUC_OUT:-$LOG}" 2>&1 </dev/null 3>&- 4>&- 5>&- 7>&- &
	NUC_UNSHARE_PID=$!
	NUC_PID=
	wait_until 5 _nuc_find_init || {
		echo "nucleus-init did not start; log:" >&2
		cat "$LOG" >&2
		return 1
	}
}

_nuc_find_init() {
	NUC_PID=$(pgrep -P "$NUC_UNSHARE_PID" | head -n1)
	[ -n "$NUC_PID" ] || ! nuc_alive
}

# Starts nucleus-init and waits until its control socket answers.
nuc_start() {
	nuc_start_bg "$@" || return 1
	if ! wait_until 5 _nuc_answers; then
		echo "nucleus-init does not answer on $RUN/control.sock; log:" >&2
		cat "$LOG" >&2
		return 1
	fi
}

# nucleus-init as PID 1 of a fresh PID namespace and of a fresh network
# namespace, loopback up; $1: more shell to run in that namespace first.
nuc_start_netns() {
	local real=$NUC_INIT
	cat >"$T/in-netns" <<-EOS
		#!/bin/sh
		ip link set lo up
		${1:-}
		exec "$real" "\$@"
	EOS
	chmod +x "$T/in-netns"
	NUC_INIT="unshare --net $T/in-netns" nuc_start
}

# A command in nucleus-init's network namespace.
nuc_netns() {
	nsenter -t "$NUC_PID" -n "$@"
}

_nuc_answers() {
	[ -S "$RUN/control.sock" ] && ctl version >/dev/null 2>&1
}

# Is the unshare'd namespace still there?
nuc_alive() {
	local st
	[ -n "$NUC_UNSHARE_PID" ] || return 1
	st=$(awk '{ s = $0; sub(/.*\) /, "", s); print substr(s, 1, 1) }' \
		"/proc/$NUC_UNSHARE_PID/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ]
}

_nuc_gone() {
	! nuc_alive
}

# nuc_wait_exit [TIMEOUT_S]: waits for the namespace to end; its exit status
# (that of nucleus-init) is left in NUC_RC.
nuc_wait_exit() {
	local timeout=${1:-10}
	wait_until "$timeout" _nuc_gone || return 1
	NUC_RC=0
	wait "$NUC_UNSHARE_PID" 2>/dev/null || NUC_RC=$?
	NUC_UNSHARE_PID=
	return 0
}

# refute CMD...: CMD must fail (a bare `! CMD` never fails a bats test).
refute() {
	if "$@"; then
		echo "unexpectedly succeeded: $*" >&2
		return 1
	fi
}

# The nucleusctl of this test's nucleus-init.
ctl() {
	"$NUC_CTL" --runtime-dir "$RUN" "$@"
}

# svc_lines NAME...: what the services wrote, a line each: their records
# (`nucleusctl logs`) without the time and the name.
svc_lines() {
	ctl logs "$@" | sed -E 's/^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z [A-Za-z0-9_.-]+: //'
}

# outputs_written: waits until nucleus-logd has taken everything PID 1 handed
# it: a `stdout = file:` output's bytes reach the file through it, so a test
# that saw its service end reads the file after this.
outputs_written() {
	wait_until 10 eval '[ "$(ctl status --json | python3 -c "import json,sys; w = json.load(sys.stdin)[\"log_writer\"]; print(bool(w) and w[\"pid\"] is not None and w[\"taken\"] == w[\"handed\"])")" = True ]'
}

# One service's JSON object (nucleusctl prints one per line).
svc_json() {
	ctl status --json "$1" | grep -F "{\"name\": \"$1\","
}

# json_get OBJECT KEY: the value of KEY in a flat JSON object; strings are
# printed without their quotes (and \" \\ unescaped), null as null.
json_get() {
	local v
	v=$(printf '%s\n' "$1" | sed -nE "s/.*\"$2\": (\"([^\"\\\\]|\\\\.)*\"|[^,}]*).*/\\1/p")
	if [[ $v == \"*\" ]]; then
		v=${v:1:${#v}-2}
		v=${v//\\\"/\"}
		v=${v//\\\\/\\}
	fi
	printf '%s\n' "$v"
}

# svc_get NAME KEY: one field of a service's status.
svc_get() {
	local j
	j=$(svc_json "$1") || return 1
	json_get "$j" "$2"
}

# state_is NAME STATE
state_is() {
	local s
	s=$(svc_get "$1" state 2>/dev/null) || return 1
	[ "$s" = "$2" ]
}

# wait_for_state NAME STATE [TIMEOUT_S]
wait_for_state() {
	local timeout=${3:-5}
	if ! wait_until "$timeout" state_is "$1" "$2" 2>/dev/null; then
		echo "service $1 not $2 after ${timeout}s: $(svc_json "$1" 2>&1)" >&2
		return 1
	fi
}

_file_has() {
	[ -f "$1" ] && grep -qE -- "$2" "$1"
}

# wait_for_file FILE [TIMEOUT_S]
wait_for_file() {
	wait_until "${2:-5}" test -e "$1"
}

# wait_for_line FILE REGEX [TIMEOUT_S]
wait_for_line() {
	if ! wait_until "${3:-5}" _file_has "$1" "$2" 2>/dev/null; then
		echo "no line matching '$2' in $1 after ${3:-5}s:" >&2
		cat "$1" >&2 2>/dev/null
		return 1
	fi
}

# wait_for_log REGEX [TIMEOUT_S]: a line in nucleus-init's output.
wait_for_log() {
	wait_for_line "$LOG" "$1" "${2:-5}"
}

# Z-state processes in the namespace, counted from inside it.
ns_zombies() {
	nsenter -t "$NUC_PID" -p -m "$NHELPER" count-zombies
}

# Processes of the namespace other than nucleus-init (host pids).
ns_procs() {
	pgrep --ns "$NUC_PID" --nslist pid | grep -vx "$NUC_PID" || true
}

_no_ns_procs() {
	[ -z "$(ns_procs)" ]
}

# ns_procs_are N: exactly N processes besides nucleus-init (zombies count).
ns_procs_are() {
	[ "$(ns_procs | wc -l)" -eq "$1" ]
}

# Sends a signal to nucleus-init itself (the child of unshare, PID 1 inside).
nuc_kill() {
	kill "-$1" "$NUC_PID"
}

# Remembers a background pid for teardown.
track_pid() {
	NUC_EXTRA_PIDS+=("$1")
}

nuc_teardown() {
	local p
	if [ -z "${BATS_TEST_COMPLETED:-}" ] && [ -f "${LOG:-}" ]; then
		echo "--- nucleus-init output:"
		tail -n 60 "$LOG"
	fi
	if nuc_alive; then
		# SIGKILL to PID 1 of the namespace takes every process in it along
		[ -n "$NUC_PID" ] && kill -KILL "$NUC_PID" 2>/dev/null
		kill -KILL "$NUC_UNSHARE_PID" 2>/dev/null
		wait "$NUC_UNSHARE_PID" 2>/dev/null || true
	fi
	for p in "${NUC_EXTRA_PIDS[@]}"; do
		# its children first: they would outlive it otherwise
		pkill -KILL -P "$p" 2>/dev/null || true
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	if [ -n "${NUC_OWN_TMP:-}" ]; then
		rm -rf "$NUC_OWN_TMP"
	fi
	return 0
}
