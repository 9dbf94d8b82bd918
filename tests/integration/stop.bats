#!/usr/bin/env bats
# Stopping services: stop_signal, stop_timeout then SIGKILL to the whole
# service, nucleusctl stop/start/restart.

load ../lib/common

setup() { nuc_setup; }
teardown() { nuc_teardown; }

@test "stop escalates to SIGKILL after stop_timeout when SIGTERM is ignored" {
	write_manifest <<EOF
[service.stubborn]
isolate = no
exec = $NHELPER ignore-term
stop_timeout = 500ms
EOF
	nuc_start
	wait_for_state stubborn ready
	wait_for_log 'stubborn: ignoring'
	t0=$(now_ms)
	run ctl stop stubborn
	t1=$(now_ms)
	echo "$output"
	[ "$status" -eq 0 ]
	echo "stop took $((t1 - t0))ms"
	[ $((t1 - t0)) -ge 450 ]
	[ $((t1 - t0)) -lt 3000 ]
	[ "$(svc_get stubborn state)" = stopped ]
	[ "$(svc_get stubborn exit_status)" = SIGKILL ]
	[ "$(svc_get stubborn pid)" = null ]
	wait_until 2 _no_ns_procs
}

@test "the SIGKILL after stop_timeout reaches the whole service, children too" {
	write_manifest <<EOF
[service.family]
isolate = no
exec = sh -c '$NHELPER ignore-term & exec $NHELPER ignore-term'
stop_timeout = 300ms
EOF
	nuc_start
	wait_for_state family ready
	wait_until 3 _two_ignoring
	[ "$(ns_procs | wc -l)" -eq 2 ]
	run ctl stop family
	[ "$status" -eq 0 ]
	[ "$(svc_get family exit_status)" = SIGKILL ]
	wait_until 2 _no_ns_procs
}

_two_ignoring() {
	[ "$(grep -c 'family: ignoring' "$LOG")" -eq 2 ]
}

@test "a service that honours SIGTERM stops cleanly with its exit status" {
	write_manifest <<EOF
[service.polite]
isolate = no
exec = $NHELPER record-signals $T/signals
stop_timeout = 5s
EOF
	nuc_start
	wait_for_log 'polite: recording'
	t0=$(now_ms)
	run ctl stop polite
	t1=$(now_ms)
	[ "$status" -eq 0 ]
	[ $((t1 - t0)) -lt 2000 ]
	[ "$(svc_get polite state)" = stopped ]
	[ "$(svc_get polite exit_status)" = 0 ]
	[ "$(cat "$T/signals")" = SIGTERM ]
}

@test "stop_signal chooses the signal (name without SIG)" {
	write_manifest <<EOF
[service.hup]
isolate = no
exec = $NHELPER record-signals $T/signals
stop_signal = HUP
stop_timeout = 300ms
EOF
	nuc_start
	wait_for_log 'hup: recording'
	run ctl stop hup
	[ "$status" -eq 0 ]
	# record-signals only exits on SIGTERM: HUP came (and the SIGCONT
	# that follows a stop signal), then the SIGKILL
	[ "$(grep -v SIGCONT "$T/signals")" = SIGHUP ]
	[ "$(svc_get hup exit_status)" = SIGKILL ]
}

@test "stop_signal accepts the SIG prefix" {
	write_manifest <<EOF
[service.usr]
isolate = no
exec = $NHELPER record-signals $T/signals
stop_signal = SIGUSR2
stop_timeout = 300ms
EOF
	nuc_start
	wait_for_log 'usr: recording'
	run ctl stop usr
	[ "$status" -eq 0 ]
	[ "$(head -n1 "$T/signals")" = SIGUSR2 ]
	[ "$(svc_get usr state)" = stopped ]
}

@test "a stopped service is not restarted, start brings it back, restart replaces it" {
	write_manifest <<EOF
[service.web]
isolate = no
exec = $NHELPER sleep 100
restart = always
restart_delay = 20ms
EOF
	nuc_start
	wait_for_state web ready
	p1=$(svc_get web pid)
	run ctl stop web
	[ "$status" -eq 0 ]
	[[ "$output" == *stopped* ]]
	holds 0.3 state_is web stopped
	[ "$(svc_get web restarts)" = 0 ]
	run ctl start web
	[ "$status" -eq 0 ]
	[[ "$output" == *ready* ]]
	[ "$(svc_get web state)" = ready ]
	p2=$(svc_get web pid)
	[ "$p2" != "$p1" ]
	run ctl restart web
	[ "$status" -eq 0 ]
	wait_for_state web ready
	p3=$(svc_get web pid)
	[ "$p3" != null ]
	[ "$p3" != "$p2" ]
	[ "$(ns_procs | wc -l)" -eq 1 ]
}

@test "start of a service that cannot start answers failed with a non-zero exit" {
	write_manifest <<EOF
[service.broken]
isolate = no
exec = /nonexistent/binary
EOF
	nuc_start
	wait_for_state broken failed
	run ctl start broken
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *failed* ]]
	[[ "$output" == *"No such file or directory"* ]]
}
