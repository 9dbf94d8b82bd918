#!/usr/bin/env bats
# PID 1 never stalls (issue 11): a log pipe nobody reads, a notify flood, a
# host user at the notify socket, silent control clients.

load ../lib/common

setup() {
	nuc_setup
}

teardown() {
	nuc_teardown
	[ -n "${RT:-}" ] && rm -rf "$RT"
	return 0
}

# utime + stime of a pid, in clock ticks
cpu_ticks() {
	awk '{ s = $0; sub(/.*\) /, "", s); split(s, f, " "); print f[12] + f[13] }' "/proc/$1/stat"
}

@test "a log pipe nobody reads does not stall PID 1: it answers, starts, reaps, and says what it dropped once the pipe drains" {
	mkfifo "$T/fifo"
	# the only reader: this shell, which does not read for now
	exec 7<>"$T/fifo"
	write_manifest <<EOF
[service.chatty]
exec = $NHELPER print 40000 "a line of output nobody reads, long enough to fill a pipe"
isolate = no
type = oneshot

[service.next]
exec = $NHELPER orphans 3
isolate = no
type = oneshot
after = chatty
EOF
	NUC_OUT=$T/fifo nuc_start_bg
	# every question with a bound: a PID 1 stuck in write(2) would hold
	# nucleusctl forever
	wait_until 5 _answers_within 2
	sleep 1
	_answers_within 3
	wait_for_state next exited 10
	# the orphans of next were reaped meanwhile
	wait_until 5 ns_procs_are 0
	timeout 2 cat <&7 >"$T/drained" || true
	exec 7<&-
	tail -3 "$T/drained"
	grep -qE 'nucleus-init: \[[0-9]+ bytes of log dropped\]' "$T/drained"
}

@test "a log pipe whose reader went away: PID 1 does not spin on the error and still answers" {
	mkfifo "$T/fifo"
	head -c 200 <"$T/fifo" >"$T/head.out" &
	track_pid $!
	write_manifest <<EOF
[service.chatty]
exec = /bin/sh -c "while :; do echo a line nobody will read; sleep 0.01; done"
isolate = no
EOF
	NUC_OUT=$T/fifo nuc_start_bg
	wait_until 5 _answers_within 2
	# head took its 200 bytes and left: every write now fails with EPIPE
	wait_until 5 test -s "$T/head.out"
	sleep 0.5
	before=$(cpu_ticks "$NUC_PID")
	sleep 2
	after=$(cpu_ticks "$NUC_PID")
	echo "PID 1 used $((after - before)) ticks in 2 s"
	[ $((after - before)) -lt 40 ]
	_answers_within 3
}

_answers_within() {
	timeout "$1" "$NUC_CTL" --runtime-dir "$RUN" status >/dev/null 2>&1
}

# A runtime dir that every user may traverse, so only the socket's own mode decides.
open_runtime_dir() {
	RT=$(mktemp -d /tmp/nuc-rt.XXXXXX)
	chmod 755 "$RT"
	RUN=$RT/run
}

@test "the notify socket of a service is its own: 0600, owned by its user; a host user cannot send to it" {
	open_runtime_dir
	write_manifest <<EOF
[service.n]
exec = $NHELPER sleep 100
isolate = no
ready = notify
ready_timeout = 2s
restart = never

[service.m]
exec = /nuc/nhelper notify 100 READY=1
volumes = $(dirname "$NHELPER"):/nuc
user = nobody
ready = notify
ready_timeout = 5s
EOF
	nuc_start
	# an isolated service of another user reaches its own socket through its root
	wait_for_state m ready 10
	[ "$(stat -c '%a %U' "$RUN/notify/m")" = "600 nobody" ]
	[ "$(stat -c '%a %U' "$RUN/notify/n")" = "600 root" ]
	[ "$(stat -c '%a' "$RUN/notify")" = 711 ]
	[ ! -e "$RUN/notify.sock" ]
	# nobody may walk to it, and still cannot send
	setpriv --reuid 65534 --regid 65534 --clear-groups test -x "$RUN/notify"
	run setpriv --reuid 65534 --regid 65534 --clear-groups \
		env NOTIFY_SOCKET="$RUN/notify/n" "$NHELPER" notify --exit 0 READY=1
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"Permission denied"* ]]
	wait_for_state n failed 5
}

@test "a notify flood from outside the service: every datagram counted, a few lines, little of PID 1's time" {
	write_manifest <<EOF
[service.n]
exec = $NHELPER sleep 100
isolate = no
ready = notify
ready_timeout = 20s
EOF
	nuc_start
	wait_until 5 test -S "$RUN/notify/n"
	before=$(cpu_ticks "$NUC_PID")
	NOTIFY_SOCKET=$RUN/notify/n "$NHELPER" notify-flood 50000 STATUS=flood
	# one line at once, the rest counted into one line per interval
	wait_for_log 'n: 1 notify message dropped' 5
	wait_until 8 _flood_counted 50000
	after=$(cpu_ticks "$NUC_PID")
	grep 'notify message' "$LOG"
	[ "$(grep -c 'notify message' "$LOG")" -le 3 ]
	echo "PID 1 used $((after - before)) ticks"
	[ $((after - before)) -lt 150 ]
	[ "$(svc_get n state)" = starting ]
}

_flood_counted() {
	local sum
	sum=$(sed -nE 's/.*n: ([0-9]+) notify messages? dropped.*/\1/p' "$LOG" | awk '{ s += $1 } END { print s + 0 }')
	[ "$sum" -eq "$1" ]
}

@test "a message too long for the notify socket costs that message only: READY=1 right after it counts" {
	cat >"$T/n.py" <<'PY'
import os, socket, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b"STATUS=" + b"x" * 5000, os.environ["NOTIFY_SOCKET"])
s.sendto(b"READY=1", os.environ["NOTIFY_SOCKET"])
time.sleep(100)
PY
	write_manifest <<EOF
[service.n]
exec = python3 $T/n.py
isolate = no
ready = notify
ready_timeout = 4s
restart = never
EOF
	nuc_start
	wait_for_state n ready 3
	wait_for_log 'n: 1 notify message dropped, 1 of them longer than 4 KiB or without credentials' 5
}

@test "silent control clients time out and never lock nucleusctl out" {
	write_manifest <<EOF
[service.s]
exec = $NHELPER sleep 100
isolate = no
EOF
	nuc_start
	cat >"$T/hold.py" <<'PY'
import socket, sys, time
path, n = sys.argv[1], int(sys.argv[2])
socks = []
for _ in range(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    socks.append(s)
print("holding", len(socks), flush=True)
t0 = time.time()
closed = 0
for s in socks:
    s.settimeout(max(0.1, 9 - (time.time() - t0)))
    try:
        if s.recv(64) == b"":
            closed += 1
    except (socket.timeout, ConnectionResetError):
        pass
print("closed by the server", closed, "after", round(time.time() - t0, 1), flush=True)
PY
	python3 "$T/hold.py" "$RUN/control.sock" 40 >"$T/hold.out" &
	track_pid $!
	wait_until 5 grep -q holding "$T/hold.out"
	# every slot is held by a silent client, and nucleusctl still gets one
	run timeout 3 "$NUC_CTL" --runtime-dir "$RUN" status
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"s "*"ready"* ]]
	wait_until 12 grep -q 'closed by the server' "$T/hold.out"
	cat "$T/hold.out"
	[ "$(awk '/closed by the server/ { print $5 }' "$T/hold.out")" -eq 40 ]
}
