# shellcheck shell=bash
# qemu/lib.sh - drive nucleus-init guests from tests and scripts.
#
#   . qemu/lib.sh
#   vm_boot DIR IMAGE [qemu/run args...]   boot in the background; VM=DIR
#   wait_console PATTERN [TIMEOUT]         wait for an ERE on the console
#   console_log                            the console so far
#   qmp CMD [ARGS_JSON]                    one QMP command; prints its reply
#   vm_powerdown                           the ACPI power button
#   vm_wait [TIMEOUT]                      wait for qemu/run to end; VM_STATUS
#   vm_kill                                end qemu now (teardown)
#
# Through the guest's control port (vm_boot gives every guest one, at
# $VM/ctl.sock, unless VM_NO_CTL=1; qemu's own end of it is $VM/port.sock):
#   vm_ctl COMMAND...                      nucleusctl --connect $VM/ctl.sock COMMAND
#   vm_wait_for [-t SECS] NAME...          until every NAME is ready (or exited,
#                                          for a oneshot); fails with the reason
#   vm_succeed NAME CMD [ARGS...]          CMD inside service NAME; its stdout;
#                                          fails (with its output) unless it exits 0
#   vm_status_json                         `nucleusctl status --json`
#   vm_poweroff [TIMEOUT]                  `nucleusctl poweroff`, then vm_wait
#
# Every function works on the guest in $VM (set by vm_boot); several guests
# can run at once, each with its own directory. A guest's directory holds
# console.log (the serial console), run.log (qemu/run's stdout and stderr:
# the console and the reason qemu ended), qmp.sock, qemu.pid and, once it
# ended, status (qemu/run's exit status: 0 powered off cleanly, 2 panic,
# 3 reboot, 4 reset, 124 timeout, 1 qemu failure).
# Waits poll with a deadline; none of them sleeps a fixed time.

QEMU_LIB_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VM=${VM:-}
VM_STATUS=${VM_STATUS:-}

# vm_boot DIR IMAGE [qemu/run args...]
vm_boot() {
	local dir=$1 image=$2
	shift 2
	mkdir -p "$dir"
	rm -f "$dir/status" "$dir/qmp.sock" "$dir/qemu.pid" "$dir/ctl.sock"
	: >"$dir/console.log"
	local ctl=()
	[ "${VM_NO_CTL:-0}" = 1 ] || ctl=(--ctl "$dir/ctl.sock" --ctl-port "$dir/port.sock")
	(
		rc=0
		"$QEMU_LIB_TOP/qemu/run" -i "$image" --qmp "$dir/qmp.sock" \
			--log "$dir/console.log" --pidfile "$dir/qemu.pid" "${ctl[@]}" "$@" \
			>"$dir/run.log" 2>&1 </dev/null || rc=$?
		echo "$rc" >"$dir/status.tmp"
		mv "$dir/status.tmp" "$dir/status"
	) &
	echo $! >"$dir/run.pid"
	VM=$dir
}

console_log() {
	cat "${1:-$VM}/console.log" 2>/dev/null || true
}

# _vm_deadline SECONDS: the epoch second a wait gives up at
_vm_deadline() { echo $(($(date +%s) + $1)); }

# _vm_socket PATH WHAT: wait up to 10 s for qemu/run to make the socket PATH.
_vm_socket() {
	local deadline
	deadline=$(_vm_deadline 10)
	while [ ! -S "$1" ]; do
		if [ "$(date +%s)" -ge "$deadline" ] || [ -e "$VM/status" ]; then
			echo "$2 at $1" >&2
			return 1
		fi
		sleep 0.1
	done
}

# wait_console PATTERN [TIMEOUT=60]: 0 once an ERE matches a console line;
# 1 (with the console's tail on stderr) on timeout, when qemu ended first, or
# at once when the console matches WAIT_FAIL_RE (a panic, a stopped boot).
WAIT_FAIL_RE=${WAIT_FAIL_RE-'Kernel panic - not syncing|boot stopped:'}
wait_console() {
	local pat=$1 deadline
	deadline=$(_vm_deadline "${2:-60}")
	while :; do
		grep -qE -- "$pat" "$VM/console.log" 2>/dev/null && return 0
		if [ -n "$WAIT_FAIL_RE" ] && grep -qE -- "$WAIT_FAIL_RE" "$VM/console.log" 2>/dev/null; then
			echo "wait_console: the console shows /$WAIT_FAIL_RE/ while waiting for /$pat/:" >&2
			tail -n 40 "$VM/console.log" >&2
			return 1
		fi
		if [ -e "$VM/status" ]; then
			grep -qE -- "$pat" "$VM/console.log" 2>/dev/null && return 0
			echo "wait_console: qemu ended (status $(cat "$VM/status")) before /$pat/" >&2
			tail -n 40 "$VM/run.log" >&2
			return 1
		fi
		if [ "$(date +%s)" -ge "$deadline" ]; then
			echo "wait_console: no /$pat/ within ${2:-60}s; console tail:" >&2
			tail -n 40 "$VM/console.log" >&2
			return 1
		fi
		sleep 0.2
	done
}

# qmp CMD [ARGS_JSON]: the capabilities handshake, then CMD; prints the
# reply to CMD (a {"return":...} or {"error":...} line) and fails unless it
# is a return. Waits up to 10 s for the socket to appear.
qmp() {
	local cmd=$1 args=${2:-} req out
	_vm_socket "$VM/qmp.sock" "qmp: no QMP socket" || return 1
	req="{\"execute\":\"$cmd\"${args:+,\"arguments\":$args}}"
	out=$(printf '%s\n' '{"execute":"qmp_capabilities"}' "$req" |
		timeout 10 socat -t 3 - "UNIX-CONNECT:$VM/qmp.sock" 2>&1) || {
		echo "qmp: $cmd: socat failed: $out" >&2
		return 1
	}
	# line 1 is the greeting, line 2 the handshake's reply, then ours
	# (events may come between: skip them).
	out=$(printf '%s\n' "$out" | sed -n '3,$p' | grep -vm1 '"event"' || true)
	printf '%s\n' "$out"
	case $out in
	'{"return"'*) return 0 ;;
	*) return 1 ;;
	esac
}

vm_powerdown() {
	qmp system_powerdown >/dev/null
}

# vm_wait [TIMEOUT=60]: wait for qemu/run to end; VM_STATUS is its status.
# Returns 0 when it ended in time (whatever the status), 1 otherwise.
vm_wait() {
	local deadline
	deadline=$(_vm_deadline "${1:-60}")
	VM_STATUS=
	while [ ! -e "$VM/status" ]; do
		if [ "$(date +%s)" -ge "$deadline" ]; then
			echo "vm_wait: qemu still running after ${1:-60}s" >&2
			return 1
		fi
		sleep 0.2
	done
	VM_STATUS=$(cat "$VM/status")
	return 0
}

# vm_kill: end qemu at once (for teardown); qemu/run then reports and exits.
vm_kill() {
	local pid
	[ -n "$VM" ] || return 0
	[ -e "$VM/status" ] && return 0
	pid=$(cat "$VM/qemu.pid" 2>/dev/null || true)
	[ -z "$pid" ] || kill -KILL "$pid" 2>/dev/null || true
	vm_wait 10 >/dev/null 2>&1 || {
		pid=$(cat "$VM/run.pid" 2>/dev/null || true)
		[ -z "$pid" ] || kill -KILL "$pid" 2>/dev/null || true
	}
}

# ---- through the control port ----

NUCLEUSCTL=${NUCLEUSCTL:-$QEMU_LIB_TOP/build/nucleusctl}

# vm_ctl COMMAND...: nucleusctl against the guest in $VM. Waits up to 10 s for
# the port's host socket (qemu/run makes it as qemu starts); a command sent
# before nucleus-init serves the port waits in it until it does.
vm_ctl() {
	_vm_socket "$VM/ctl.sock" "vm_ctl: no control port" || return 3
	"$NUCLEUSCTL" --connect "$VM/ctl.sock" "$@"
}

# vm_wait_for [-t SECS] NAME...: event-driven (nucleusctl wait), default 60 s.
vm_wait_for() {
	local t=60
	if [ "${1:-}" = -t ]; then
		t=$2
		shift 2
	fi
	vm_ctl wait --timeout "${t}s" "$@"
}

# vm_succeed NAME CMD [ARGS...]: like the NixOS driver's machine.succeed.
vm_succeed() {
	local name=$1 out rc=0
	shift
	out=$(vm_ctl exec "$name" -- "$@" </dev/null 2>"$VM/succeed.err") || rc=$?
	if [ "$rc" -ne 0 ]; then
		printf 'vm_succeed: %s in %s: exit %d:\n%s\n' "$*" "$name" "$rc" "$out" >&2
		cat "$VM/succeed.err" >&2
		return 1
	fi
	printf '%s\n' "$out"
}

vm_status_json() {
	vm_ctl status --json
}

# vm_poweroff [TIMEOUT=60]: a clean shutdown asked over the port; VM_STATUS.
vm_poweroff() {
	vm_ctl poweroff >/dev/null || return 1
	vm_wait "${1:-60}"
}
