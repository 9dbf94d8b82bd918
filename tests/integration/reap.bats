#!/usr/bin/env bats
# Reaping: orphans of any depth are reaped by PID 1, no zombie is left.

load ../lib/common

setup() { nuc_setup; }
teardown() { nuc_teardown; }

@test "1000 orphans reparented to PID 1 are all reaped, no zombie left" {
	write_manifest <<EOF
[service.spawner]
isolate = no
type = oneshot
exec = $NHELPER orphans 1000

[service.idle]
isolate = no
exec = $NHELPER sleep 100
EOF
	nuc_start
	wait_for_state spawner exited 20
	[ "$(svc_get spawner exit_status)" = 0 ]
	# every orphan gone (a zombie is still a process): only idle is left
	wait_until 10 ns_procs_are 1
	[ "$(ns_zombies)" = 0 ]
	# nucleus-init kept supervising through it
	[ "$(svc_get idle state)" = ready ]
}

@test "orphans of a running service are reaped while it keeps running" {
	write_manifest <<EOF
[service.parent]
isolate = no
exec = sh -c '$NHELPER orphans 200 && exec $NHELPER sleep 100'
EOF
	nuc_start
	wait_for_state parent ready
	wait_until 10 ns_procs_are 1
	[ "$(ns_zombies)" = 0 ]
	[ "$(svc_get parent state)" = ready ]
	[ "$(svc_get parent restarts)" = 0 ]
}

@test "the exit of a service's main process is not confused with its reaped orphans" {
	# the orphans exit around the time the main process does
	write_manifest <<EOF
[service.mixed]
isolate = no
exec = sh -c '$NHELPER orphans 300 && exec $NHELPER exit 7'
restart = never
EOF
	nuc_start
	wait_for_state mixed exited 10
	[ "$(svc_get mixed exit_status)" = 7 ]
	wait_until 10 ns_procs_are 0
	[ "$(ns_zombies)" = 0 ]
}
