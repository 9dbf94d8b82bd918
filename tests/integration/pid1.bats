#!/usr/bin/env bats
# PID 1 itself: it sleeps when nothing is scheduled, and it survives what
# its services do.

load ../lib/common

setup() { nuc_setup; }
teardown() { nuc_teardown; }

# Context switches of nucleus-init: each wake-up from epoll_wait is one.
wakeups() {
	awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/$NUC_PID/status"
}

_wakeups_are() {
	[ "$(wakeups)" = "$1" ]
}

@test "an idle PID 1 does not wake up (no polling)" {
	write_manifest <<EOF
[service.idle]
isolate = no
exec = $NHELPER sleep 100

[service.finished]
isolate = no
type = oneshot
exec = $NHELPER exit 0
EOF
	nuc_start
	wait_for_state idle ready
	wait_for_state finished exited
	# let the last control client go
	wait_until 2 _steady
	w=$(wakeups)
	holds 1.5 _wakeups_are "$w"
}

_steady() {
	local w
	w=$(wakeups)
	sleep 0.1
	[ "$(wakeups)" = "$w" ]
}

@test "PID 1 survives a service that kills every process it can (kill -KILL -1)" {
	write_manifest <<EOF
[service.victim]
isolate = no
exec = $NHELPER sleep 100
restart_delay = 50ms

[service.killer]
isolate = no
type = oneshot
exec = sh -c 'kill -KILL -1'
after = victim
EOF
	nuc_start
	wait_for_state killer exited 5
	nuc_alive
	wait_until 5 _restarted victim
	wait_for_state victim ready
	[ "$(svc_get victim exit_status)" = SIGKILL ] || [ "$(svc_get victim exit_status)" = null ]
	run ctl poweroff
	nuc_wait_exit 5
	[ "$NUC_RC" -eq 0 ]
}

_restarted() {
	[ "$(svc_get "$1" restarts)" -ge 1 ]
}

@test "PID 1 survives a service flooding it with output and keeps answering" {
	write_manifest <<EOF
[service.flood]
isolate = no
exec = sh -c 'yes flooding-the-console-with-a-long-line-of-text | head -c 20000000 && exec $NHELPER sleep 100'
EOF
	nuc_start
	# answers while the flood is going on
	run ctl status --json flood
	[ "$status" -eq 0 ]
	wait_until 30 _flood_done
	run svc_lines flood
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = flooding-the-console-with-a-long-line-of-text ]
}

# the flood is over once sh has exec'd the sleep
_flood_done() {
	nsenter -t "$NUC_PID" -p -m cat "/proc/$(svc_get flood pid)/cmdline" 2>/dev/null |
		tr '\0' ' ' | grep -q 'sleep 100'
}

@test "SIGTERM to PID 1 from a service inside the namespace shuts down cleanly" {
	write_manifest <<EOF
[service.other]
isolate = no
exec = $NHELPER log-term $T/stops other

[service.admin]
isolate = no
type = oneshot
exec = sh -c 'sleep 0.2 && kill -TERM 1'
after = other
EOF
	nuc_start_bg
	nuc_wait_exit 5
	[ "$NUC_RC" -eq 0 ]
	[ "$(cat "$T/stops")" = other ]
}
