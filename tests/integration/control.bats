#!/usr/bin/env bats
# The control interface: nucleusctl status (JSON and table), errors for
# unknown services and commands, logs.

load ../lib/common

setup() { nuc_setup; }
teardown() { nuc_teardown; }

three_services() {
	write_manifest <<EOF
[service.web]
isolate = no
exec = $NHELPER sleep 100

[service.job]
isolate = no
type = oneshot
exec = $NHELPER exit 0

[service.broken]
isolate = no
exec = /nonexistent/x
EOF
}

# The keys of a flat JSON object, in order, space separated.
json_keys() {
	grep -oE '"[a-z_]+": ' <<<"$1" | sed -E 's/"([a-z_]+)": /\1/' | tr '\n' ' ' | sed 's/ $//'
}

@test "status --json has exactly the contract's keys, per service and at the top" {
	three_services
	nuc_start
	wait_for_state web ready
	wait_for_state job exited
	wait_for_state broken failed
	run ctl status --json
	[ "$status" -eq 0 ]
	echo "$output"
	# one JSON object: starts with uptime_ms, ends with the services array
	# (the contract's service keys plus the record counters of issue 15, the
	# cgroup accounting of issue 6, the bridge address of issue 7 and the
	# Landlock ABI and seccomp denials of issue 16;
	# extra top-level ones such as boot timings come before "services")
	[[ "$output" =~ ^\{\"uptime_ms\":\ [0-9]+, ]]
	[[ "$output" == *'"services": ['* ]]
	[[ "$output" =~ \]\}$ ]]
	# three service objects, each with exactly these keys
	[ "$(grep -c '{"name": ' <<<"$output")" -eq 3 ]
	want="name state pid restarts exit_status health since_ms status_text error"
	want="$want memory_current memory_peak oom_kills cpu_usage_us tasks address log_lines log_lost"
	want="$want landlock seccomp_denials"
	for s in web job broken; do
		j=$(svc_json "$s")
		[ "$(json_keys "$j")" = "$want" ]
	done
	# types: numbers, strings or null as the contract shows
	j=$(svc_json web)
	[[ "$j" =~ \"pid\":\ [0-9]+, ]]
	[[ "$j" =~ \"restarts\":\ 0, ]]
	[[ "$j" =~ \"exit_status\":\ null, ]]
	[[ "$j" =~ \"health\":\ \"(healthy|unknown)\", ]]
	[[ "$j" =~ \"since_ms\":\ [0-9]+, ]]
	[[ "$j" =~ \"status_text\":\ null, ]]
	[[ "$j" =~ \"error\":\ null,\ \"memory_current\":\ null, ]]
	j=$(svc_json job)
	[[ "$j" =~ \"pid\":\ null, ]]
	[[ "$j" =~ \"exit_status\":\ 0, ]]
	j=$(svc_json broken)
	[[ "$j" =~ \"exit_status\":\ 127, ]]
	[[ "$j" =~ \"error\":\ \"exec:\ /nonexistent/x:\ No\ such\ file\ or\ directory\", ]]
}

@test "status --json NAME shows only that service" {
	three_services
	nuc_start
	wait_for_state web ready
	run ctl status --json web
	[ "$status" -eq 0 ]
	[ "$(grep -c '{"name": ' <<<"$output")" -eq 1 ]
	[[ "$output" == *'"name": "web"'* ]]
	[[ "$output" == '{"uptime_ms": '* ]]
}

@test "uptime_ms and since_ms count milliseconds" {
	write_manifest <<EOF
[service.web]
isolate = no
exec = $NHELPER sleep 100
EOF
	nuc_start
	wait_for_state web ready
	wait_until 3 _uptime_at_least 500
	j=$(ctl status --json)
	up=$(json_get "$j" uptime_ms)
	since=$(json_get "$(svc_json web)" since_ms)
	echo "uptime $up since $since"
	[ "$up" -ge 500 ]
	[ "$up" -lt 30000 ]
	# since_ms is when the state was entered, on the same clock
	[ "$since" -le "$up" ]
	[ "$since" -lt 500 ]
	ctl restart web
	wait_for_state web ready
	since2=$(svc_get web since_ms)
	[ "$since2" -ge 500 ]
}

_uptime_at_least() {
	[ "$(json_get "$(ctl status --json | head -n1)" uptime_ms)" -ge "$1" ]
}

@test "error strings are valid JSON: quotes and backslashes escaped" {
	write_manifest <<EOF
[service.quoted]
isolate = no
exec = "/nonexistent/a \\"b\\" c\\\\d"
EOF
	cat "$M"
	nuc_start
	wait_for_state quoted failed
	j=$(svc_json quoted)
	echo "$j"
	[[ "$j" == *'"error": "exec: /nonexistent/a \"b\" c\\d: No such file or directory"'* ]]
}

@test "the human status is a table with a header and one row per service" {
	three_services
	nuc_start
	wait_for_state web ready
	wait_for_state broken failed
	wait_for_state job exited
	run ctl status
	[ "$status" -eq 0 ]
	echo "$output"
	# a summary may come first; from the header on, one row per service
	table=$(sed -n '/^NAME /,$p' <<<"$output")
	[ "$(wc -l <<<"$table")" -eq 4 ]
	for h in NAME STATE PID RESTARTS EXIT ERROR; do
		[[ "$(head -n1 <<<"$table")" == *"$h"* ]]
	done
	grep -qE '^web +ready +[0-9]+ +0 ' <<<"$output"
	grep -qE '^job +exited ' <<<"$output"
	grep -qE '^broken +failed .*exec: /nonexistent/x: No such file or directory' <<<"$output"
	run ctl status web
	[ "$status" -eq 0 ]
	table=$(sed -n '/^NAME /,$p' <<<"$output")
	[ "$(wc -l <<<"$table")" -eq 2 ]
	[[ "$(tail -n1 <<<"$table")" == web* ]]
}

@test "unknown service names are errors naming the service, with a non-zero exit" {
	three_services
	nuc_start
	for cmd in "status" "status --json" start stop restart logs; do
		# shellcheck disable=SC2086
		run ctl $cmd nosuch
		echo "$cmd: $status: $output"
		[ "$status" -ne 0 ]
		[[ "$output" == *nosuch* ]]
	done
}

@test "an unknown command is an error" {
	three_services
	nuc_start
	run ctl frobnicate
	[ "$status" -ne 0 ]
	[[ "$output" == *frobnicate* ]]
}

@test "nucleusctl fails clearly when nucleus-init is not running" {
	mkdir -p "$RUN"
	run ctl status
	[ "$status" -ne 0 ]
	[[ "$output" == *control.sock* ]]
}

@test "the control socket is only for root (mode 0600 or stricter)" {
	three_services
	nuc_start
	mode=$(stat -c %a "$RUN/control.sock")
	echo "mode $mode"
	[[ "$mode" =~ ^[0-7]00$ ]]
}

@test "stop and start of a oneshot, logs of a service that printed nothing" {
	three_services
	nuc_start
	wait_for_state job exited
	run svc_lines web
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run ctl start job
	[ "$status" -eq 0 ]
	[[ "$output" == *exited* ]]
	run ctl stop job
	[ "$status" -eq 0 ]
	[ "$(svc_get job state)" = stopped ]
}
