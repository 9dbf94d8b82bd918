#!/usr/bin/env bats
# Shutdown of a PID namespace: exit status 0, reverse dependency order,
# shutdown_timeout, on_empty, critical services, shutdown during startup.

load ../lib/common

setup() { nuc_setup; }
teardown() { nuc_teardown; }

two_services() {
	write_manifest <<EOF
[service.a]
isolate = no
exec = $NHELPER log-term $T/stops a

[service.b]
isolate = no
exec = $NHELPER log-term $T/stops b
EOF
}

@test "nucleusctl poweroff stops the services and exits 0" {
	two_services
	nuc_start
	wait_for_log 'a: a up'
	wait_for_log 'b: b up'
	run ctl poweroff
	[ "$status" -eq 0 ]
	nuc_wait_exit 5
	[ "$NUC_RC" -eq 0 ]
	# both were stopped with SIGTERM, not killed at the end
	[ "$(sort "$T/stops" | tr '\n' ' ')" = "a b " ]
}

@test "SIGTERM to nucleus-init (PID 1 of the namespace) shuts down cleanly with 0" {
	two_services
	nuc_start
	wait_for_log 'a: a up'
	wait_for_log 'b: b up'
	nuc_kill TERM
	nuc_wait_exit 5
	[ "$NUC_RC" -eq 0 ]
	[ "$(sort "$T/stops" | tr '\n' ' ')" = "a b " ]
}

@test "SIGUSR2, SIGPWR and SIGINT shut a namespace down with 0 too" {
	two_services
	for sig in USR2 PWR INT; do
		rm -f "$T/stops"
		nuc_start
		wait_for_log 'b: b up'
		nuc_kill "$sig"
		nuc_wait_exit 5
		echo "$sig: $NUC_RC"
		[ "$NUC_RC" -eq 0 ]
		[ "$(wc -l <"$T/stops")" -eq 2 ]
	done
}

@test "nucleusctl reboot and halt end a namespace with 0" {
	two_services
	for cmd in reboot halt; do
		nuc_start
		wait_for_log 'b: b up'
		run ctl "$cmd"
		[ "$status" -eq 0 ]
		nuc_wait_exit 5
		[ "$NUC_RC" -eq 0 ]
	done
}

@test "shutdown stops services in reverse dependency order" {
	# db <- app (after) <- web (requires app); lb after web; declared shuffled
	write_manifest <<EOF
[service.web]
isolate = no
exec = $NHELPER log-term $T/stops web
requires = app

[service.db]
isolate = no
exec = $NHELPER log-term $T/stops db

[service.lb]
isolate = no
exec = $NHELPER log-term $T/stops lb
after = web

[service.app]
isolate = no
exec = $NHELPER log-term $T/stops app
after = db
EOF
	nuc_start
	for s in db app web lb; do
		wait_for_log "$s: $s up"
	done
	run ctl poweroff
	[ "$status" -eq 0 ]
	nuc_wait_exit 5
	[ "$NUC_RC" -eq 0 ]
	[ "$(tr '\n' ' ' <"$T/stops")" = "lb web app db " ]
}

@test "a service ignoring SIGTERM is killed after its stop_timeout during shutdown" {
	write_manifest <<EOF
[service.stubborn]
isolate = no
exec = $NHELPER ignore-term
stop_timeout = 300ms

[service.fine]
isolate = no
exec = $NHELPER log-term $T/stops fine
EOF
	nuc_start
	wait_for_log 'stubborn: ignoring'
	wait_for_log 'fine: fine up'
	t0=$(now_ms)
	nuc_kill TERM
	nuc_wait_exit 5
	t1=$(now_ms)
	[ "$NUC_RC" -eq 0 ]
	echo "shutdown took $((t1 - t0))ms"
	[ $((t1 - t0)) -ge 250 ]
	[ "$(cat "$T/stops")" = fine ]
	grep -q 'stubborn: did not stop\|SIGKILL' "$LOG"
}

@test "shutdown_timeout bounds the whole shutdown" {
	write_manifest <<EOF
[system]
shutdown_timeout = 1s

[service.stubborn]
isolate = no
exec = $NHELPER ignore-term
stop_timeout = 60s
EOF
	nuc_start
	wait_for_log 'stubborn: ignoring'
	t0=$(now_ms)
	run ctl poweroff
	nuc_wait_exit 8
	t1=$(now_ms)
	echo "shutdown took $((t1 - t0))ms"
	[ "$NUC_RC" -eq 0 ]
	[ $((t1 - t0)) -ge 900 ]
	[ $((t1 - t0)) -lt 5000 ]
}

@test "processes left outside services are killed at the end of a shutdown" {
	# the service leaves a daemonised child that ignores SIGTERM
	write_manifest <<EOF
[service.leaky]
isolate = no
exec = sh -c 'setsid $NHELPER ignore-term & exec $NHELPER log-term $T/stops leaky'
EOF
	nuc_start
	wait_for_log 'leaky: ignoring'
	wait_for_log 'leaky: leaky up'
	run ctl poweroff
	nuc_wait_exit 8
	[ "$NUC_RC" -eq 0 ]
	[ "$(cat "$T/stops")" = leaky ]
}

@test "a shutdown requested while services still wait for dependencies does not deadlock" {
	write_manifest <<EOF
[service.slowprep]
isolate = no
type = oneshot
exec = $NHELPER sleep 30

[service.app]
isolate = no
exec = $NHELPER sleep 100
requires = slowprep

[service.web]
isolate = no
exec = $NHELPER sleep 100
after = app
EOF
	nuc_start
	wait_for_state slowprep starting
	wait_for_state web waiting
	run ctl poweroff
	[ "$status" -eq 0 ]
	nuc_wait_exit 5
	[ "$NUC_RC" -eq 0 ]
}

@test "a shutdown while a service is in back-off does not wait for the back-off" {
	write_manifest <<EOF
[service.flaky]
isolate = no
exec = $NHELPER exit 1
restart_delay = 30s
EOF
	nuc_start
	wait_for_state flaky backoff
	t0=$(now_ms)
	nuc_kill TERM
	nuc_wait_exit 5
	t1=$(now_ms)
	[ "$NUC_RC" -eq 0 ]
	[ $((t1 - t0)) -lt 3000 ]
}

@test "SIGTERM right at boot, before services settle, still shuts down with 0" {
	write_manifest <<EOF
[service.prep]
isolate = no
type = oneshot
exec = $NHELPER sleep 5

[service.app]
isolate = no
exec = $NHELPER sleep 100
after = prep
EOF
	nuc_start_bg
	# a namespace's init drops signals it neither blocks nor handles: wait
	# until nucleus-init has blocked them (its first act), no longer
	wait_until 5 _signals_blocked
	nuc_kill TERM
	nuc_wait_exit 5
	[ "$NUC_RC" -eq 0 ]
}

_signals_blocked() {
	grep -q '^SigBlk:.*[1-9a-f]' "/proc/$NUC_PID/status"
}

@test "on_empty = poweroff ends the namespace with 0 once nothing runs" {
	write_manifest <<EOF
[system]
on_empty = poweroff

[service.job]
isolate = no
type = oneshot
exec = $NHELPER touch $T/done 200

[service.short]
isolate = no
exec = $NHELPER exit 0 300
EOF
	nuc_start_bg
	nuc_wait_exit 5
	[ "$NUC_RC" -eq 0 ]
	[ -e "$T/done" ]
	grep -q 'on_empty' "$LOG"
}

@test "on_empty = stay (the default) keeps running with nothing left" {
	write_manifest <<EOF
[service.job]
isolate = no
type = oneshot
exec = $NHELPER exit 0
EOF
	nuc_start
	wait_for_state job exited
	holds 0.3 nuc_alive
	run ctl status
	[ "$status" -eq 0 ]
}

@test "a critical service that fails shuts the system down (on_critical = poweroff)" {
	write_manifest <<EOF
[service.other]
isolate = no
exec = $NHELPER log-term $T/stops other

[service.core]
isolate = no
exec = $NHELPER crash-after 200
critical = yes
on_critical = poweroff
restart_delay = 20ms
start_limit = 2/60s
EOF
	nuc_start
	wait_for_log 'other: other up'
	nuc_wait_exit 8
	[ "$NUC_RC" -eq 0 ]
	[ "$(cat "$T/stops")" = other ]
	grep -q 'critical service core failed' "$LOG"
}

@test "a critical service with restart = never that dies shuts the system down" {
	write_manifest <<EOF
[service.core]
isolate = no
exec = $NHELPER crash-after 200
critical = yes
restart = never
on_critical = poweroff
EOF
	nuc_start
	nuc_wait_exit 8
	[ "$NUC_RC" -eq 0 ]
	grep -q 'poweroff: critical service core exited with status 1' "$LOG"
}

@test "a critical service with restart = never that exits 0 is done, not a crash" {
	write_manifest <<EOF
[service.core]
isolate = no
exec = $NHELPER exit 0 100
critical = yes
restart = never
[service.other]
isolate = no
exec = $NHELPER sleep 100
EOF
	nuc_start
	wait_for_state core exited
	holds 0.3 nuc_alive
}

@test "a non-critical service that fails does not shut the system down" {
	write_manifest <<EOF
[service.other]
isolate = no
exec = $NHELPER sleep 100

[service.core]
isolate = no
exec = $NHELPER exit 1
restart_delay = 20ms
start_limit = 2/60s
EOF
	nuc_start
	wait_for_state core failed
	holds 0.3 nuc_alive
	[ "$(svc_get other state)" = ready ]
}

@test "stopping a critical service by hand is not a failure: no shutdown" {
	write_manifest <<EOF
[service.core]
isolate = no
exec = $NHELPER sleep 100
critical = yes
on_critical = poweroff
EOF
	nuc_start
	wait_for_state core ready
	run ctl stop core
	[ "$status" -eq 0 ]
	[ "$(svc_get core state)" = stopped ]
	holds 0.3 nuc_alive
}

@test "on_critical defaults to reboot, which ends a namespace with 0 as well" {
	write_manifest <<EOF
[service.core]
isolate = no
exec = /nonexistent/core
critical = yes
EOF
	nuc_start_bg
	nuc_wait_exit 5
	[ "$NUC_RC" -eq 0 ]
	grep -q 'reboot.*critical service core failed' "$LOG"
}

@test "as a subreaper, shutdown kills the descendants it inherited and nothing else" {
	sleep 1000 &
	local bystander=$!
	track_pid "$bystander"
	write_manifest <<EOF
[service.d]
isolate = no
type = oneshot
exec = /bin/sh -c "setsid sh -c 'trap \"\" TERM; echo \\\$\\\$ > $T/daemon.pid; exec $NHELPER sleep 1000' >/dev/null 2>&1 & $NHELPER sleep 0.3"
EOF
	"$NUC_INIT" --manifest "$M" --runtime-dir "$RUN" >"$LOG" 2>&1 &
	local init=$!
	track_pid "$init"
	wait_for_state d exited 5
	wait_for_file "$T/daemon.pid" 5
	local daemon
	daemon=$(cat "$T/daemon.pid")
	kill -0 "$daemon"
	ctl poweroff
	wait_until 10 _gone "$init"
	refute kill -0 "$daemon" 2>/dev/null
	kill -0 "$bystander"
	grep -q 'shutdown complete' "$LOG"
}

_gone() {
	! kill -0 "$1" 2>/dev/null
}
