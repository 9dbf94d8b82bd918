#!/usr/bin/env bats
# The control protocol's streams (issue 13): events, wait, exec, the framing
# against hostile clients, and READY=1 to whoever started nucleus-init.

load ../lib/common

setup() {
	nuc_setup
	NB=$(dirname "$NHELPER")
	VOL="$NB:/nuc"
}

teardown() {
	nuc_teardown
}

@test "events: every listener sees each state change, with the exit status where one ended; --replay has the boot" {
	write_manifest <<EOF
[service.web]
isolate = no
exec = $NHELPER sleep 100
EOF
	nuc_start
	wait_for_state web ready
	ctl events >"$T/ev1" 2>&1 &
	track_pid $!
	ctl events >"$T/ev2" 2>&1 &
	track_pid $!
	# the listeners are in once a replaying one, opened after them, has answered
	ctl events --replay >"$T/ev3" 2>&1 &
	track_pid $!
	wait_for_line "$T/ev3" '"stage": "settled"'
	run ctl restart web
	[ "$status" -eq 0 ]
	for f in "$T/ev1" "$T/ev2" "$T/ev3"; do
		wait_for_line "$f" '"from": "starting", "to": "ready"'
		grep -E '^\{"time_ms": [0-9]+, "event": "state", "service": "web", "from": "ready", "to": "stopping"\}$' "$f"
		grep -E '"service": "web", "from": "stopping", "to": "starting", "exit_status": "SIGTERM"\}$' "$f"
	done
	# the replay began with the boot: stage 1, the start, settled
	grep -nE '"event": "boot", "stage": "stage1"' "$T/ev3" | grep -q '^1:'
	grep -qE '"from": "stopped", "to": "starting"' "$T/ev3"
	# the live ones did not get the past
	refute grep -q '"stage"' "$T/ev1"
}

@test "events: a listener that never reads loses events and is told how many; PID 1 keeps answering" {
	write_manifest <<EOF
[service.flap]
isolate = no
exec = $NHELPER exit 1
restart = always
restart_delay = 1ms
restart_delay_max = 1ms
start_limit = 256/1ms

[service.calm]
isolate = no
exec = $NHELPER sleep 100
EOF
	nuc_start
	wait_for_state calm ready
	# the silent listener holds on for 4 s without reading a byte
	"$NHELPER" ctl-raw "$RUN/control.sock" 4000 events >"$T/silent" 2>&1 &
	track_pid $!
	sleep 1
	# meanwhile PID 1 answers at once, and the flapping goes on
	for _ in 1 2 3 4 5; do
		t0=$(now_ms)
		run ctl status calm
		[ "$status" -eq 0 ]
		[ $(($(now_ms) - t0)) -lt 1000 ]
	done
	wait_for_line "$T/silent" '^EXIT' 10
	grep -E '"event": "dropped", "count": [1-9][0-9]*' "$T/silent"
	# what it did get are whole lines
	grep -vE '^EXIT' "$T/silent" | grep -vqE '^\{"time_ms": [0-9]+, "event": "[a-z]+".*\}$' && false
	[ "$(svc_get flap restarts)" -gt 100 ]
}

@test "wait: 0 once ready or done, 1 with the state and error of a failure, 2 when the time runs out" {
	write_manifest <<EOF
[service.slow]
isolate = no
ready = notify
exec = $NHELPER notify 400 READY=1

[service.job]
isolate = no
type = oneshot
exec = $NHELPER exit 0 300

[service.badjob]
isolate = no
type = oneshot
restart = never
exec = $NHELPER exit 4

[service.broken]
isolate = no
exec = /nonexistent/x

[service.stuck]
isolate = no
ready = notify
ready_timeout = 60s
exec = $NHELPER sleep 100
EOF
	nuc_start
	t0=$(now_ms)
	run ctl wait --timeout 10s slow job
	echo "$output"
	[ "$status" -eq 0 ]
	# it waited for them: no answer before the slower of the two was there
	[ $(($(now_ms) - t0)) -ge 250 ]
	state_is slow ready
	state_is job exited

	run ctl wait --timeout 10s broken
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"broken: failed: "*"/nonexistent/x"* ]]

	# a oneshot that failed never gets there
	run ctl wait --timeout 10s badjob
	[ "$status" -eq 1 ]
	[[ $output == *"badjob: failed: exited with status 4"* ]]

	t0=$(now_ms)
	run ctl wait --timeout 500ms slow stuck
	echo "$output"
	[ "$status" -eq 2 ]
	[[ $output == *"timed out after 500ms: stuck is starting"* ]]
	[ $(($(now_ms) - t0)) -ge 450 ]

	run ctl wait --state failed broken
	[ "$status" -eq 0 ]
	run ctl wait --timeout 1s nosuch
	[ "$status" -eq 1 ]
	[[ $output == *"no service named 'nosuch'"* ]]
	run ctl wait --state nosuchstate slow
	[ "$status" -eq 2 ]
}

@test "wait: answers when the state comes, not at a poll" {
	write_manifest <<EOF
[service.later]
isolate = no
exec = $NHELPER sleep 100
EOF
	nuc_start
	ctl stop later
	ctl wait --timeout 10s --state stopped later
	( sleep 0.3; ctl start --no-block later >/dev/null ) &
	t0=$(now_ms)
	run ctl wait --timeout 10s later
	[ "$status" -eq 0 ]
	# answered within moments of the start, not a poll interval later
	d=$(($(now_ms) - t0))
	echo "answered after ${d}ms"
	[ "$d" -ge 250 ] && [ "$d" -lt 1500 ]
}

@test "exec: stdin, stdout and stderr apart; the command's exit code, 128+N for a signal, 125 when it cannot start" {
	write_manifest <<EOF
[service.web]
volumes = $VOL
exec = /nuc/nhelper sleep 1000

[service.down]
isolate = no
type = oneshot
exec = $NHELPER exit 0
EOF
	nuc_start
	wait_for_state web ready
	wait_for_state down exited
	echo "some input" | ctl exec web -- sh -c 'cat; echo to-err >&2; exit 3' >"$T/out" 2>"$T/err" &&
		rc=0 || rc=$?
	[ "$rc" -eq 3 ]
	[ "$(cat "$T/out")" = "some input" ]
	[ "$(cat "$T/err")" = "to-err" ]

	run ctl exec web -- sh -c 'kill -TERM $$'
	[ "$status" -eq 143 ]
	run ctl exec web -- /nonexistent/cmd
	[ "$status" -eq 125 ]
	[[ $output == *"/nonexistent/cmd: No such file or directory"* ]]
	run ctl exec nosuch -- true
	[ "$status" -eq 125 ]
	[[ $output == *"no service named 'nosuch'"* ]]
	run ctl exec down -- true
	[ "$status" -eq 125 ]
	[[ $output == *"down is not running (exited)"* ]]
	run ctl exec web
	[ "$status" -eq 2 ]

	# a few MB each way, byte for byte (the relay's flow control)
	head -c 3000000 /dev/urandom >"$T/big"
	ctl exec web -- cat <"$T/big" >"$T/big.out"
	cmp "$T/big" "$T/big.out"
	[ "$(ctl exec web -- sh -c 'head -c 5000000 /dev/zero' </dev/null | wc -c)" -eq 5000000 ]
}

@test "exec: Ctrl-C reaches the command; a client that hangs up takes its command along" {
	write_manifest <<EOF
[service.web]
volumes = $VOL
exec = /nuc/nhelper sleep 1000
EOF
	nuc_start
	wait_for_state web ready
	# nucleusctl itself, not a subshell running ctl, gets the signal
	"$NUC_CTL" --runtime-dir "$RUN" exec web -- sh -c 'trap "echo got-INT; exit 9" INT; echo started; sleep 30 & wait' >"$T/int" 2>&1 &
	cpid=$!
	track_pid $cpid
	wait_for_line "$T/int" started
	kill -INT $cpid
	wait $cpid && rc=0 || rc=$?
	[ "$rc" -eq 9 ]
	grep -q got-INT "$T/int"

	"$NUC_CTL" --runtime-dir "$RUN" exec web -- /nuc/nhelper sleep 321 &
	cpid=$!
	track_pid $cpid
	wait_until 5 pgrep -f '^/nuc/nhelper sleep 321' >/dev/null
	kill -KILL $cpid
	wait_until 5 refute pgrep -f '^/nuc/nhelper sleep 321'
	# the service itself is untouched
	state_is web ready
}

@test "exec runs as the service runs: its namespaces, root, identity, capabilities, no_new_privs, filter; nothing of PID 1" {
	write_manifest <<EOF
[service.web]
user = nobody
capabilities = NET_BIND_SERVICE
env = WHO=web
volumes = $VOL
exec = /nuc/nhelper sleep 1000

[service.other]
env = TOKEN=secret-of-other
volumes = $VOL
exec = /nuc/nhelper sleep 1000
EOF
	nuc_start
	wait_for_state web ready
	wait_for_state other ready
	pid=$(svc_get web pid)
	run ctl exec web -- sh -c 'id -u; for n in mnt pid uts ipc; do readlink /proc/self/ns/$n; done;
		grep -E "^(CapEff|CapBnd|NoNewPrivs|Seccomp):" /proc/self/status; /nuc/nhelper env'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 65534 ]
	# the service's pid is one of PID 1's namespace: its /proc says where it lives
	for n in mnt pid uts ipc; do
		[[ $output == *"$(readlink "/proc/$NUC_PID/root/proc/$pid/ns/$n")"* ]]
	done
	# NET_BIND_SERVICE (bit 10) alone
	[[ $output == *"CapEff:	0000000000000400"* ]]
	[[ $output == *"CapBnd:	0000000000000400"* ]]
	[[ $output == *"NoNewPrivs:	1"* ]]
	[[ $output == *"Seccomp:	2"* ]]
	[[ $output == *"WHO=web"* ]]
	[[ $output != *"secret-of-other"* ]]
	[[ $output != *TERM=* ]]
	# in a root service: its namespace's init is nucleus-ns-init, a fresh exec
	run ctl exec other -- sh -c 'tr "\0" " " </proc/1/cmdline'
	[ "$output" = "nucleus-ns-init other " ]
	# the seccomp filter is the service's: mount is refused
	run ctl exec web -- /nuc/nhelper attack
	[ "$status" -eq 0 ]

	# -t: a terminal made inside the service, its own, with TERM passed
	run env TERM=vt100 "$NUC_CTL" --runtime-dir "$RUN" exec -t web -- sh -c 'tty; stty size; echo $TERM; ls -l $(tty)'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == /dev/pts/0* ]]
	[[ ${lines[1]} == "24 80"* ]]
	[[ ${lines[2]} == vt100* ]]
	[[ ${lines[3]} == *" nobody "* ]]
}

@test "exec = no refuses exec; the other commands still work" {
	write_manifest <<EOF
[system]
exec = no

[service.web]
isolate = no
exec = $NHELPER sleep 100
EOF
	nuc_start
	wait_for_state web ready
	run ctl exec web -- true
	[ "$status" -eq 125 ]
	[[ $output == *"refused ([system] exec = no)"* ]]
	run ctl status web
	[ "$status" -eq 0 ]
	run "$NUC_INIT" --check --manifest "$M"
	[ "$status" -eq 0 ]
}

@test "the socket survives hostile clients: half a frame then a hang-up, garbage before a request, many silent ones" {
	write_manifest <<EOF
[service.web]
isolate = no
exec = $NHELPER sleep 100
EOF
	nuc_start
	wait_for_state web ready
	"$NHELPER" ctl-half "$RUN/control.sock"
	run "$NHELPER" ctl-raw "$RUN/control.sock" 0 --garbage status web
	echo "$output"
	[[ $output == *"web "*"ready"* ]]
	[[ ${lines[-1]} == "EXIT 0" ]]
	run ctl status web
	[ "$status" -eq 0 ]
	# a command of more words than a session takes is refused, not cut short
	# shellcheck disable=SC2046
	run ctl exec web -- echo $(seq 1 300)
	[ "$status" -eq 2 ]
	[[ $output == *"too many words"* ]]
	# an unknown command is answered, not dropped
	run "$NHELPER" ctl-raw "$RUN/control.sock" 0 frobnicate
	[[ $output == *"unknown command 'frobnicate'"* && ${lines[-1]} == "EXIT 2" ]]
}

@test "READY=1 once every service settled, STATUS= as it changes and STOPPING=1 go to NOTIFY_SOCKET" {
	write_manifest <<EOF
[service.slow]
isolate = no
ready = notify
exec = $NHELPER notify 500 READY=1

[service.envy]
isolate = no
exec = sh -c 'echo "mine=\$NOTIFY_SOCKET"; exec $NHELPER sleep 100'
EOF
	"$NHELPER" notify-recv "$T/up.sock" "$T/up" &
	track_pid $!
	wait_for_file "$T/up.sock"
	export NOTIFY_SOCKET=$T/up.sock
	t0=$(now_ms)
	nuc_start
	unset NOTIFY_SOCKET
	wait_for_line "$T/up" 'READY=1' 10
	# not before the slow one was ready
	[ $(($(now_ms) - t0)) -ge 450 ]
	state_is slow ready
	grep -E '^READY=1\|STATUS=2 services: 2 ready$' "$T/up"
	# the services have their own socket, not ours
	wait_for_log 'mine='
	refute grep -q "mine=$T/up.sock" "$LOG"
	ctl stop slow
	wait_for_line "$T/up" '^STATUS=2 services: 1 stopped, 1 ready$'
	ctl poweroff
	nuc_wait_exit 10
	wait_for_line "$T/up" '^STOPPING=1$'
	# READY=1 was said once
	[ "$(grep -c 'READY=1' "$T/up")" -eq 1 ]
}
