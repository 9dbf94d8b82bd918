#!/usr/bin/env bats
# Order and dependencies: oneshots before their dependents, `after`
# ordering, `requires` failure and stop propagation.

load ../lib/common

setup() { nuc_setup; }
teardown() { nuc_teardown; }

# section NAME <<EOF: one manifest section kept aside; sections A B ... writes
# the manifest with them in that order (the order must not matter).
section() {
	cat >"$T/section.$1"
}

sections() {
	local n
	: >"$M"
	for n in "$@"; do
		cat "$T/section.$n" >>"$M"
		echo >>"$M"
	done
}

oneshot_first_sections() {
	# app fails at once (restart = never) if the oneshot's file is not there
	section app <<EOF
[service.app]
isolate = no
exec = sh -c 'test -e $T/prepared && exec $NHELPER sleep 100'
after = prepare
restart = never
EOF
	section prepare <<EOF
[service.prepare]
isolate = no
type = oneshot
exec = $NHELPER touch $T/prepared 400
EOF
}

check_oneshot_first() {
	nuc_start
	wait_for_state app waiting 2
	[ "$(svc_get prepare state)" = starting ]
	[ ! -e "$T/prepared" ]
	wait_for_state prepare exited 5
	[ "$(svc_get prepare exit_status)" = 0 ]
	wait_for_state app ready 5
	# still up a moment later: it found the file
	holds 0.3 state_is app ready
	[ "$(svc_get app restarts)" = 0 ]
}

@test "a oneshot runs to completion before the services after it (oneshot declared first)" {
	oneshot_first_sections
	sections prepare app
	check_oneshot_first
}

@test "a oneshot runs to completion before the services after it (dependent declared first)" {
	oneshot_first_sections
	sections app prepare
	check_oneshot_first
}

@test "oneshots chained with after run one after the other" {
	write_manifest <<EOF
[service.third]
isolate = no
type = oneshot
exec = sh -c 'echo third >>$T/order'
after = second

[service.second]
isolate = no
type = oneshot
exec = sh -c 'sleep 0.1 && echo second >>$T/order'
after = first

[service.first]
isolate = no
type = oneshot
exec = sh -c 'sleep 0.2 && echo first >>$T/order'
EOF
	nuc_start
	wait_for_state third exited 5
	[ "$(tr '\n' ' ' <"$T/order")" = "first second third " ]
}

chain_sections() {
	section c <<EOF
[service.c]
isolate = no
exec = $NHELPER sleep 100
after = b
EOF
	section b <<EOF
[service.b]
isolate = no
exec = $NHELPER sleep 100
after = a
EOF
	section a <<EOF
[service.a]
isolate = no
exec = $NHELPER sleep 100
EOF
}

check_chain() {
	nuc_start
	wait_for_state c ready
	a=$(svc_get a pid) b=$(svc_get b pid) c=$(svc_get c pid)
	echo "pids: a=$a b=$b c=$c"
	# pids grow in the order of the spawns in a fresh PID namespace
	[ "$a" -lt "$b" ]
	[ "$b" -lt "$c" ]
}

@test "after orders the start of longruns (declared in order)" {
	chain_sections
	sections a b c
	check_chain
}

@test "after orders the start of longruns (declared in reverse order)" {
	chain_sections
	sections c b a
	check_chain
}

# A oneshot is ready only once it exited 0: while it fails and restarts,
# its dependents wait. (A longrun with ready = none is ready at each exec.)
restarting_sections() {
	section user <<EOF
[service.user]
isolate = no
exec = $NHELPER sleep 100
after = base
EOF
	section base <<EOF
[service.base]
isolate = no
type = oneshot
exec = test -e $T/go
restart = on-failure
restart_delay = 100ms
restart_delay_max = 100ms
start_limit = 100/60s
EOF
}

check_restarting() {
	nuc_start
	wait_for_state base backoff 3
	wait_until 3 _restarted base 2
	[ "$(svc_get user state)" = waiting ]
	touch "$T/go"
	wait_for_state base exited 3
	wait_for_state user ready 3
}

_restarted() {
	[ "$(svc_get "$1" restarts)" -ge "$2" ]
}

@test "after waits for a oneshot that fails and restarts (dependency declared first)" {
	restarting_sections
	sections base user
	check_restarting
}

@test "after waits for a oneshot that fails and restarts (dependent declared first)" {
	restarting_sections
	sections user base
	check_restarting
}

@test "a required service that fails for good fails its dependent, naming it" {
	write_manifest <<EOF
[service.web]
isolate = no
exec = $NHELPER sleep 100
requires = db

[service.db]
isolate = no
exec = $NHELPER crash-after 10
restart_delay = 20ms
start_limit = 2/60s
EOF
	nuc_start
	wait_for_state db failed 5
	wait_for_state web failed 5
	[[ "$(svc_get web error)" == *db* ]]
	[ "$(svc_get web pid)" = null ]
}

@test "a running dependent is stopped when its required service fails" {
	write_manifest <<EOF
[service.web]
isolate = no
exec = $NHELPER sleep 100
requires = db

[service.db]
isolate = no
exec = sh -c 'test -e $T/crash && exec $NHELPER exit 1 || exec $NHELPER sleep 100'
restart_delay = 20ms
start_limit = 2/60s
EOF
	nuc_start
	wait_for_state web ready 5
	pid=$(svc_get db pid)
	touch "$T/crash"
	nsenter -t "$NUC_PID" -p -m kill -TERM "$pid"
	wait_for_state db failed 5
	wait_for_state web failed 5
	[[ "$(svc_get web error)" == *db* ]]
	[ "$(svc_get web pid)" = null ]
}

@test "requires: stopping the dependency stops the dependent; starting it brings it back" {
	write_manifest <<EOF
[service.web]
isolate = no
exec = $NHELPER sleep 100
requires = db

[service.db]
isolate = no
exec = $NHELPER sleep 100
EOF
	nuc_start
	wait_for_state web ready
	old=$(svc_get web pid)
	run ctl stop db
	[ "$status" -eq 0 ]
	wait_for_state db stopped
	wait_for_state web stopped
	[ "$(svc_get web pid)" = null ]
	run ctl start db
	[ "$status" -eq 0 ]
	wait_for_state db ready
	wait_for_state web ready
	[ "$(svc_get web pid)" != "$old" ]
}

@test "requires: a dependent started by hand pulls its dependency up" {
	write_manifest <<EOF
[service.web]
isolate = no
exec = $NHELPER sleep 100
requires = db

[service.db]
isolate = no
exec = $NHELPER sleep 100
EOF
	nuc_start
	wait_for_state web ready
	ctl stop db
	wait_for_state web stopped
	run ctl start web
	[ "$status" -eq 0 ]
	wait_for_state db ready
	wait_for_state web ready
}

@test "after alone does not stop a dependent when the dependency stops" {
	write_manifest <<EOF
[service.web]
isolate = no
exec = $NHELPER sleep 100
after = db

[service.db]
isolate = no
exec = $NHELPER sleep 100
EOF
	nuc_start
	wait_for_state web ready
	pid=$(svc_get web pid)
	ctl stop db
	wait_for_state db stopped
	holds 0.3 state_is web ready
	[ "$(svc_get web pid)" = "$pid" ]
}

failed_oneshot_sections() {
	section app <<EOF
[service.app]
isolate = no
exec = $NHELPER sleep 100
requires = migrate
EOF
	section migrate <<EOF
[service.migrate]
isolate = no
type = oneshot
exec = $NHELPER exit 4 100
restart = never
EOF
}

check_failed_oneshot() {
	nuc_start
	wait_for_state migrate failed 5
	[ "$(svc_get migrate exit_status)" = 4 ]
	wait_for_state app failed 5
	[[ "$(svc_get app error)" == *migrate* ]]
	[ "$(svc_get app exit_status)" = null ]
}

@test "a failed oneshot fails the services that require it (oneshot declared first)" {
	failed_oneshot_sections
	sections migrate app
	check_failed_oneshot
}

@test "a failed oneshot fails the services that require it (dependent declared first)" {
	failed_oneshot_sections
	sections app migrate
	check_failed_oneshot
}

@test "a dependent failed by its dependency comes back when the dependency is started again" {
	write_manifest <<EOF
[service.db]
isolate = no
exec = sh -c 'test -e $T/fixed && exec $NHELPER sleep 100 || exec $NHELPER exit 1'
restart_delay = 20ms
start_limit = 2/60s

[service.web]
isolate = no
exec = $NHELPER sleep 100
requires = db
EOF
	nuc_start
	wait_for_state db failed
	wait_for_state web failed
	touch "$T/fixed"
	run ctl start db
	[ "$status" -eq 0 ]
	wait_for_state db ready
	wait_for_state web ready
	[ "$(svc_get web error)" = null ]
}
