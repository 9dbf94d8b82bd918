#!/usr/bin/env bats
# The manifest at boot: errors are reported and what is valid still runs;
# keys that cannot apply here (no cgroup v2) fail only the services that
# ask for them.

load ../lib/common

setup() { nuc_setup; }
teardown() { nuc_teardown; }

@test "a bad manifest at boot is reported line by line and the valid services run" {
	write_manifest <<EOF
[service.good]
isolate = no
exec = $NHELPER sleep 100

[service.bad]
isolate = no
exec = $NHELPER sleep 100
colour = red

[service.alsogood]
isolate = no
type = oneshot
exec = $NHELPER touch $T/ran
EOF
	nuc_start
	wait_for_state good ready
	wait_for_state alsogood exited
	[ -e "$T/ran" ]
	grep -q "$M:8: .*colour" "$LOG"
	# the invalid service does not run
	[ "$(ns_procs | wc -l)" -eq 1 ]
	if svc_json bad >/dev/null 2>&1; then
		[ "$(svc_get bad state)" != ready ]
		[ "$(svc_get bad pid)" = null ]
	fi
}

@test "a service depending on an invalid one does not start; the others do" {
	write_manifest <<EOF
[service.bad]
isolate = no
exec = $NHELPER sleep 100
stop_timeout = whenever

[service.needsbad]
isolate = no
exec = $NHELPER sleep 100
requires = bad

[service.good]
isolate = no
exec = $NHELPER sleep 100
EOF
	nuc_start
	wait_for_state good ready
	holds 0.3 ns_procs_are 1
	grep -q "$M:4: .*stop_timeout" "$LOG"
}

@test "a missing manifest at boot is reported and nucleus-init keeps running" {
	nuc_start
	grep -q "$M" "$LOG"
	grep -q "No such file or directory" "$LOG"
	run ctl status --json
	[ "$status" -eq 0 ]
	[[ "$output" == *'"services": []'* ]]
	nuc_alive
}

@test "an invalid [system] section powers off at once without starting services" {
	write_manifest <<EOF
[system]
on_empty = sometimes

[service.never]
isolate = no
type = oneshot
exec = $NHELPER touch $T/ran
EOF
	nuc_start_bg
	nuc_wait_exit 5
	echo "exit $NUC_RC"
	grep -q "$M:2: .*on_empty" "$LOG"
	[ ! -e "$T/ran" ]
}

@test "without cgroup v2 a service asking for a limit fails naming the key; others run" {
	write_manifest <<EOF
[service.limited]
isolate = no
exec = $NHELPER sleep 100
memory_max = 64M

[service.plain]
isolate = no
exec = $NHELPER sleep 100
EOF
	nuc_start
	# this host has cgroup v1 and an empty v2 hierarchy: no limits can apply
	grep -q 'no cgroup v2 (/sys/fs/cgroup is not a cgroup2 file system)' "$LOG"
	wait_for_state plain ready
	wait_for_state limited failed
	[ "$(svc_get limited error)" = "memory_max: needs cgroup v2, and /sys/fs/cgroup is not a cgroup2 file system" ]
	[ "$(svc_get limited pid)" = null ]
	[ "$(svc_get limited restarts)" = 0 ]
	[ "$(svc_get plain memory_current)" = null ]
	[ "$(ns_procs | wc -l)" -eq 1 ]
	grep -q 'limited: memory_max: needs cgroup v2' "$LOG"
}

@test "every cgroup key without cgroup v2 is refused, not ignored" {
	write_manifest <<EOF
[service.k1]
isolate = no
exec = $NHELPER sleep 100
pids_max = 10

[service.k3]
isolate = no
exec = $NHELPER sleep 100
cpu_max = 50%

[service.k4]
isolate = no
exec = $NHELPER sleep 100
io_weight = 50

[service.k5]
isolate = no
exec = $NHELPER sleep 100
memory_high = 10M

[service.ok]
isolate = no
exec = $NHELPER sleep 100
EOF
	nuc_start
	wait_for_state ok ready
	for k in k1:pids_max k3:cpu_max k4:io_weight k5:memory_high; do
		wait_for_state "${k%%:*}" failed
		[[ "$(svc_get "${k%%:*}" error)" == "${k#*:}: needs cgroup v2, and "* ]]
	done
}

@test "a dependent of a service whose limit cannot apply fails, naming the dependency" {
	write_manifest <<EOF
[service.limited]
isolate = no
exec = $NHELPER sleep 100
memory_max = 64M

[service.app]
isolate = no
exec = $NHELPER sleep 100
requires = limited
EOF
	nuc_start
	wait_for_state limited failed
	wait_for_state app failed
	[[ "$(svc_get app error)" == *limited* ]]
}

@test "[system] root outside a machine: ignored with a warning, nothing moves, the services run" {
	write_manifest <<EOF2
[system]
root = LABEL=root
device_timeout = 1s

[service.good]
isolate = no
exec = $NHELPER sleep 100
EOF2
	nuc_start
	wait_for_state good ready
	grep -q 'root = LABEL=root: only PID 1 of a machine moves into a root; ignored' "$LOG"
	refute grep -q 'boot stopped' "$LOG"
	[ "$(ctl status --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["boot"]["root"])')" = None ]
}
