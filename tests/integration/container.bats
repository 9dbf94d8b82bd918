#!/usr/bin/env bats
# Container mode: nucleus-init [-g] [-e CODE]... -- CMD ARGS (a tini drop-in).

load ../lib/common

setup() { nuc_setup; }
teardown() { nuc_teardown; }

# Container mode as PID 1 of a fresh PID namespace, in the background.
container_bg() {
	unshare --pid --fork --kill-child --mount --mount-proc \
		"$NUC_INIT" "$@" >"$LOG" 2>&1 </dev/null 3>&- 4>&- 5>&- &
	# shellcheck disable=SC2034 # read by the common helpers
	NUC_UNSHARE_PID=$!
	wait_until 5 _nuc_find_init
}

# Container mode without a namespace (a subreaper), in the background;
# CPID is nucleus-init's pid.
container_plain_bg() {
	"$NUC_INIT" "$@" >"$LOG" 2>&1 </dev/null 3>&- 4>&- 5>&- &
	CPID=$!
	track_pid "$CPID"
}

@test "exit code 0 and 3 are passed through, output goes through" {
	run "$NUC_INIT" -- "$NHELPER" print 2 hello
	[ "$status" -eq 0 ]
	[ "$output" = $'hello 1\nhello 2' ]
	run "$NUC_INIT" -- "$NHELPER" exit 3
	[ "$status" -eq 3 ]
	run "$NUC_INIT" -- sh -c 'exit 42'
	[ "$status" -eq 42 ]
}

@test "arguments after -- are passed verbatim, including ones that look like options" {
	run "$NUC_INIT" -- sh -c 'printf "%s|" "$@"' sh -g -e 3 --manifest 'a b'
	[ "$status" -eq 0 ]
	[ "$output" = "-g|-e|3|--manifest|a b|" ]
}

@test "a missing binary exits 127, a non-executable file 126" {
	run -127 "$NUC_INIT" -- /nonexistent/cmd
	[[ "$output" == *"No such file or directory"* ]]
	printf 'not a program\n' >"$T/data"
	chmod 644 "$T/data"
	run "$NUC_INIT" -- "$T/data"
	[ "$status" -eq 126 ]
	[[ "$output" == *"Permission denied"* ]]
}

@test "killed by signal N exits 128+N" {
	run "$NUC_INIT" -- sh -c 'kill -KILL $$'
	[ "$status" -eq 137 ]
	run "$NUC_INIT" -- sh -c 'kill -USR1 $$'
	[ "$status" -eq 138 ]
}

@test "-e CODE maps that exit code to 0, others unchanged; -e is repeatable" {
	run "$NUC_INIT" -e 3 -- "$NHELPER" exit 3
	[ "$status" -eq 0 ]
	run "$NUC_INIT" -e 3 -- "$NHELPER" exit 4
	[ "$status" -eq 4 ]
	run "$NUC_INIT" -e 3 -e 4 -- "$NHELPER" exit 4
	[ "$status" -eq 0 ]
	run "$NUC_INIT" -e 143 -- sh -c 'kill -TERM $$'
	[ "$status" -eq 0 ]
	run "$NUC_INIT" -s -- "$NHELPER" exit 5
	[ "$status" -eq 5 ]
}

@test "SIGUSR1 and SIGTERM are forwarded to the command (not PID 1)" {
	container_plain_bg -- "$NHELPER" record-signals "$T/signals"
	wait_for_line "$LOG" recording
	kill -USR1 "$CPID"
	wait_for_line "$T/signals" SIGUSR1
	kill -HUP "$CPID"
	wait_for_line "$T/signals" SIGHUP
	kill -TERM "$CPID"
	rc=0
	wait "$CPID" || rc=$?
	[ "$rc" -eq 0 ]
	[ "$(tr '\n' ' ' <"$T/signals")" = "SIGUSR1 SIGHUP SIGTERM " ]
}

@test "SIGUSR1 and SIGTERM are forwarded to the command as PID 1 of a namespace" {
	container_bg -- "$NHELPER" record-signals "$T/signals"
	wait_for_line "$LOG" recording
	nuc_kill USR1
	wait_for_line "$T/signals" SIGUSR1
	nuc_kill TERM
	nuc_wait_exit 5
	[ "$NUC_RC" -eq 0 ]
	[ "$(tr '\n' ' ' <"$T/signals")" = "SIGUSR1 SIGTERM " ]
}

@test "a forwarded SIGTERM that kills the command gives 143" {
	container_bg -- "$NHELPER" sleep 30
	wait_until 5 _has_child
	nuc_kill TERM
	nuc_wait_exit 5
	[ "$NUC_RC" -eq 143 ]
}

_has_child() {
	[ -n "$(pgrep -P "$NUC_PID")" ]
}

# sh starts a background recorder A and becomes recorder B: both are in
# the command's process group, only B is the command itself.
group_script() {
	echo "$NHELPER record-signals $T/a &" >"$T/group.sh"
	echo "exec $NHELPER record-signals $T/b" >>"$T/group.sh"
}

_two_recording() {
	[ "$(grep -c recording "$LOG")" -eq 2 ]
}

@test "-g sends forwarded signals to the command's whole process group" {
	# sh ignores the signals and waits for both recorders, so the command
	# ends only after each of them has written SIGTERM down (when sh itself
	# ended first, the namespace's end could take a recorder mid-write)
	{
		echo "trap '' TERM USR1"
		echo "$NHELPER record-signals $T/a &"
		echo "$NHELPER record-signals $T/b &"
		echo "wait"
	} >"$T/group.sh"
	container_bg -g -- sh "$T/group.sh"
	wait_until 5 _two_recording
	nuc_kill USR1
	wait_for_line "$T/a" SIGUSR1
	wait_for_line "$T/b" SIGUSR1
	nuc_kill TERM
	nuc_wait_exit 5
	[ "$NUC_RC" -eq 0 ]
	[ "$(tr '\n' ' ' <"$T/a")" = "SIGUSR1 SIGTERM " ]
	[ "$(tr '\n' ' ' <"$T/b")" = "SIGUSR1 SIGTERM " ]
}

@test "without -g only the command itself gets the forwarded signal" {
	group_script
	container_bg -- sh "$T/group.sh"
	wait_until 5 _two_recording
	nuc_kill USR1
	wait_for_line "$T/b" SIGUSR1
	nuc_kill TERM
	nuc_wait_exit 5
	[ "$NUC_RC" -eq 0 ]
	[ "$(tr '\n' ' ' <"$T/b")" = "SIGUSR1 SIGTERM " ]
	[ ! -s "$T/a" ]
}

@test "container mode reaps orphaned zombies while the command runs" {
	container_bg -- sh -c "$NHELPER orphans 300 && echo spawned && exec $NHELPER sleep 30"
	wait_for_line "$LOG" spawned 10
	# every orphan gone (a zombie is still a process): only the command left
	wait_until 10 ns_procs_are 1
	[ "$(ns_zombies)" = 0 ]
	nuc_kill TERM
	nuc_wait_exit 5
	[ "$NUC_RC" -eq 143 ]
}


@test "container mode as a subreaper reaps orphans and still exits with the command's code" {
	# the command waits until nucleus-init ($PPID) has no child but itself:
	# every orphan exited and was reaped (a zombie would stay a child)
	cat >"$T/reap.sh" <<EOF
$NHELPER orphans 200 || exit 1
i=0
while [ \$i -lt 100 ]; do
	z=\$(cat /proc/[0-9]*/stat 2>/dev/null | awk -v p=\$PPID -v me=\$\$ '\$4 == p && \$1 != me' | wc -l)
	[ "\$z" -eq 0 ] && exit 9
	sleep 0.05
	i=\$((i + 1))
done
echo "\$z children of nucleus-init left"
exit 1
EOF
	run "$NUC_INIT" -- sh "$T/reap.sh"
	echo "$output"
	[ "$status" -eq 9 ]
}

@test "-- without a command is an error" {
	run "$NUC_INIT" --
	[ "$status" -ne 0 ]
	[ -n "$output" ]
}
