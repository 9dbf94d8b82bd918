#!/usr/bin/env bats
# nucleusctl reload and SIGHUP: added services start, removed ones stop,
# changed ones restart, unchanged ones are left alone; an invalid manifest
# is refused with its errors and nothing changes.

load ../lib/common

setup() { nuc_setup; }
teardown() { nuc_teardown; }

first_manifest() {
	write_manifest <<EOF
[service.keep]
isolate = no
exec = $NHELPER sleep 100

[service.change]
isolate = no
exec = $NHELPER sleep 100

[service.drop]
isolate = no
exec = $NHELPER log-term $T/stops drop
EOF
}

second_manifest() {
	write_manifest <<EOF
[service.keep]
isolate = no
exec = $NHELPER sleep 100

[service.change]
isolate = no
exec = $NHELPER sleep 200

[service.fresh]
isolate = no
exec = $NHELPER sleep 100
EOF
}

@test "reload starts added, stops removed, restarts changed and keeps unchanged services" {
	first_manifest
	nuc_start
	wait_for_state keep ready
	wait_for_state change ready
	wait_for_log 'drop: drop up'
	keep=$(svc_get keep pid)
	change=$(svc_get change pid)
	second_manifest
	run ctl reload
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"1 added"* ]]
	[[ "$output" == *"1 removed"* ]]
	[[ "$output" == *"1 changed"* ]]
	[[ "$output" == *"1 unchanged"* ]]
	wait_for_state fresh ready
	wait_for_state change ready
	[ "$(svc_get change pid)" != "$change" ]
	[ "$(svc_get keep pid)" = "$keep" ]
	# the removed service got its stop signal and is gone from the status
	wait_for_file "$T/stops"
	[ "$(cat "$T/stops")" = drop ]
	wait_until 5 _dropped
	run ctl status drop
	[ "$status" -ne 0 ]
	# the changed service runs its new command line
	nsenter -t "$NUC_PID" -p -m cat "/proc/$(svc_get change pid)/cmdline" | tr '\0' ' ' | grep -q 'sleep 200'
}

# the names, states and pids of all services are still these
_status_is() {
	[ "$(ctl status --json | grep -o '"name": "[a-z]*", "state": "[a-z]*", "pid": [0-9]*')" = "$1" ]
}

_dropped() {
	if ctl status --json | grep -q '"name": "drop"'; then
		return 1
	fi
}

@test "an invalid manifest is refused with PATH:LINE errors and nothing changes" {
	first_manifest
	nuc_start
	wait_for_state keep ready
	wait_for_state change ready
	wait_for_log 'drop: drop up'
	before=$(ctl status --json | grep -o '"name": "[a-z]*", "state": "[a-z]*", "pid": [0-9]*')
	write_manifest <<EOF
[service.keep]
isolate = no
exec = $NHELPER sleep 100
colour = red

[service.fresh]
isolate = no
exec = $NHELPER sleep 100
stop_timeout = soon
EOF
	run ctl reload
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"$M:4: "*colour* ]]
	[[ "$output" == *"$M:9: "*stop_timeout* ]]
	holds 0.3 _status_is "$before"
	[ ! -e "$T/stops" ]
	refute ctl status fresh
	# a corrected manifest is then taken
	second_manifest
	run ctl reload
	[ "$status" -eq 0 ]
	wait_for_state fresh ready
}

@test "a manifest that disappeared is refused and nothing changes" {
	first_manifest
	nuc_start
	wait_for_state keep ready
	keep=$(svc_get keep pid)
	mv "$M" "$M.away"
	run ctl reload
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"No such file or directory"* ]]
	[ "$(svc_get keep pid)" = "$keep" ]
	[ "$(svc_get drop state)" = ready ]
}

@test "SIGHUP to nucleus-init reloads the manifest" {
	first_manifest
	nuc_start
	wait_for_state keep ready
	second_manifest
	nuc_kill HUP
	wait_for_state fresh ready
	wait_until 5 _dropped
}

@test "reload restarts a failed service whose definition was fixed" {
	write_manifest <<EOF
[service.svc]
isolate = no
exec = /nonexistent/first
EOF
	nuc_start
	wait_for_state svc failed
	write_manifest <<EOF
[service.svc]
isolate = no
exec = $NHELPER sleep 100
EOF
	run ctl reload
	[ "$status" -eq 0 ]
	wait_for_state svc ready
	[ "$(svc_get svc error)" = null ]
}

@test "reload leaves a service stopped by hand stopped when it did not change" {
	first_manifest
	nuc_start
	wait_for_state keep ready
	ctl stop keep
	run ctl reload
	[ "$status" -eq 0 ]
	[[ "$output" == *"0 added"* ]]
	holds 0.3 state_is keep stopped
}

@test "reload with a new dependency orders the added services" {
	write_manifest <<EOF
[service.base]
isolate = no
exec = $NHELPER sleep 100
EOF
	nuc_start
	wait_for_state base ready
	write_manifest <<EOF
[service.base]
isolate = no
exec = $NHELPER sleep 100

[service.late]
isolate = no
exec = sh -c 'test -e $T/prepared && exec $NHELPER sleep 100'
after = prep
restart = never

[service.prep]
isolate = no
type = oneshot
exec = $NHELPER touch $T/prepared 300
EOF
	run ctl reload
	[ "$status" -eq 0 ]
	wait_for_state prep exited
	wait_for_state late ready
	holds 0.3 state_is late ready
}

@test "reload and --check show a manifest's control characters escaped, never raw" {
	write_manifest <<EOF
[service.keep]
isolate = no
exec = $NHELPER sleep 100
EOF
	nuc_start
	wait_for_state keep ready 5
	printf '[service.keep]\nisolate = no\nexec = %s sleep 100\nuser = \033]0;pwned\007\n[service.\033[31mred]\nexec = /bin/true\n' \
		"$NHELPER" >"$M"
	run ctl reload
	printf '%s\n' "$output" | cat -v
	[ "$status" -ne 0 ]
	refute grep -q $'\033\|\007' <<<"$output"
	[[ $output == *'\x1b]0;pwned\x07'* ]]
	[[ $output == *'[service.\x1b[31mred]'* ]]
	run "$NUC_INIT" --check --manifest "$M"
	[ "$status" -eq 1 ]
	refute grep -q $'\033\|\007' <<<"$output"
	[[ $output == *'\x1b]0;pwned\x07'* ]]
	# nothing changed: the service still runs
	[ "$(svc_get keep state)" = ready ]
}
