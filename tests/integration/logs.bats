#!/usr/bin/env bats
# Records of captured lines (issue 15): a time and a name per line, stdout
# and stderr apart, services interleaved in the order they wrote, PID 1's
# own messages as `nucleus`; logs -n, --since, --json, -f with several
# followers and one that never reads; pipes held across restarts, so a
# SIGKILL loses nothing written before it; rings that wrap whole records.

load ../lib/common

setup() { nuc_setup; }
teardown() { nuc_teardown; }

TIME_RE='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z'

@test "logs: a time and the name per record, services in the order they wrote, stderr apart" {
	write_manifest <<EOF
[service.a]
isolate = no
exec = sh -c 'echo a1; sleep 0.3; echo a2 >&2; exec $NHELPER sleep 100'

[service.b]
isolate = no
exec = sh -c 'sleep 0.15; echo b1; exec $NHELPER sleep 100'
EOF
	nuc_start
	wait_until 10 eval 'svc_lines a | grep -qx a2'
	run ctl logs a b
	[ "$status" -eq 0 ]
	echo "$output"
	[ "${#lines[@]}" -eq 3 ]
	[[ ${lines[0]} =~ ^$TIME_RE\ a:\ a1$ ]]
	[[ ${lines[1]} =~ ^$TIME_RE\ b:\ b1$ ]]
	[[ ${lines[2]} =~ ^$TIME_RE\ a:\ a2$ ]]
	# no name: every service, and PID 1's own messages as "nucleus"
	run ctl logs
	[ "$status" -eq 0 ]
	grep -qE "^$TIME_RE nucleus: a: ready \(pid [0-9]+\)$" <<<"$output"
	grep -qE "^$TIME_RE b: b1$" <<<"$output"
	# JSON lines: the monotonic and the wall clock, the stream
	run ctl logs --json a
	echo "$output"
	[[ ${lines[0]} =~ ^\{\"time_ms\":\ [0-9]+,\ \"time\":\ \"$TIME_RE\",\ \"service\":\ \"a\",\ \"stream\":\ \"stdout\",\ \"priority\":\ 6,\ \"line\":\ \"a1\"\}$ ]]
	[[ ${lines[1]} == *'"stream": "stderr", "priority": 3, "line": "a2"}' ]]
	t0=$(sed -E 's/^\{"time_ms": ([0-9]+),.*/\1/' <<<"${lines[0]}")
	t1=$(sed -E 's/^\{"time_ms": ([0-9]+),.*/\1/' <<<"${lines[1]}")
	[ $((t1 - t0)) -ge 250 ]
	[ "$(svc_get a log_lines)" -eq 2 ]
	[ "$(svc_get a log_lost)" -eq 0 ]
}

@test "logs: -n, --since and names; an unknown name and a bad option are errors" {
	write_manifest <<EOF
[service.n]
isolate = no
exec = sh -c '$NHELPER print 5 early; sleep 1; $NHELPER print 2 late; exec $NHELPER sleep 100'
EOF
	nuc_start
	wait_until 10 eval 'svc_lines n | grep -qx "late 2"'
	[ "$(svc_lines -n 2 n)" = "late 1
late 2" ]
	[ "$(svc_lines n | wc -l)" -eq 7 ]
	[ "$(svc_lines --since 700ms n)" = "late 1
late 2" ]
	[ "$(svc_lines --since 1h n | wc -l)" -eq 7 ]
	run ctl logs nosuch
	[ "$status" -eq 1 ]
	[[ $output == *"no service named 'nosuch'"* ]]
	run ctl logs -x n
	[ "$status" -eq 2 ]
	[[ $output == *"usage: logs [-f] [-n N] [--since DUR] [--json] [NAME...]"* ]]
}

@test "logs -f: several followers see each new record; one that never reads loses records and is told; PID 1 keeps answering" {
	write_manifest <<EOF
[service.talk]
isolate = no
exec = sh -c 'echo hello; while sleep 0.2; do echo tick; done'

[service.flood]
isolate = no
exec = sh -c 'sleep 1.5; $NHELPER print 20000 a-long-line-of-output-from-a-flooding-service; exec $NHELPER sleep 100'
EOF
	nuc_start
	wait_until 10 eval 'svc_lines talk | grep -qx hello'
	ctl logs -f talk >"$T/f1" 2>&1 &
	track_pid $!
	ctl logs -f --json talk >"$T/f2" 2>&1 &
	track_pid $!
	# the silent follower holds on for 4 s without reading a byte
	"$NHELPER" ctl-raw "$RUN/control.sock" 4000 logs -f flood >"$T/silent" 2>&1 &
	track_pid $!
	# the history first, then what comes
	wait_for_line "$T/f1" ' talk: hello$'
	wait_for_line "$T/f1" ' talk: tick$'
	wait_for_line "$T/f2" '"line": "tick"'
	for _ in 1 2 3 4 5; do
		t0=$(now_ms)
		run ctl status talk
		[ "$status" -eq 0 ]
		[ $(($(now_ms) - t0)) -lt 1000 ]
		sleep 0.5
	done
	refute grep -q flood "$T/f1"
	wait_for_line "$T/silent" '^EXIT' 15
	grep -qE '^-- [1-9][0-9]* records dropped --$' "$T/silent"
	# what it did get are whole records
	grep -vE '^(EXIT|-- [0-9]+ records dropped --$)' "$T/silent" |
		grep -vqE "^$TIME_RE flood: a-long-line-of-output-from-a-flooding-service [0-9]+$" && false
	[ "$(svc_get flood log_lines)" -eq 20000 ]
}

@test "logs: the pipes outlive a run: a service SIGKILLed in a loop loses no line it wrote" {
	write_manifest <<EOF
[service.crash]
isolate = no
log_ring = 1M
restart = always
restart_delay = 10ms
restart_delay_max = 10ms
start_limit = 256/1s
exec = sh -c 'r=\$(cat $T/runs 2>/dev/null || echo 0); r=\$((r + 1)); echo \$r >$T/runs; i=1; while [ \$i -le 200 ]; do echo "run \$r line \$i"; i=\$((i + 1)); done; kill -9 \$\$'
EOF
	nuc_start
	wait_until 30 eval '[ "$(cat "$T/runs" 2>/dev/null || echo 0)" -ge 8 ]'
	ctl stop crash
	runs=$(cat "$T/runs")
	svc_lines crash >"$T/got"
	# every run that ended wrote its 200 lines, and every one is there, in order
	for r in $(seq 1 "$runs"); do
		[ "$(grep -c "^run $r line " "$T/got")" -eq 200 ] || {
			echo "run $r: $(grep -c "^run $r line " "$T/got") lines"
			false
		}
	done
	seq 1 200 | sed 's/^/run 1 line /' | cmp - <(grep '^run 1 line ' "$T/got")
}

@test "logs: a ring drops its oldest whole records; log_ring sets its size; status counts every line" {
	write_manifest <<EOF
[service.small]
isolate = no
log_ring = 4K
exec = sh -c '$NHELPER print 1000 line; exec $NHELPER sleep 100'

[service.big]
isolate = no
exec = sh -c '$NHELPER print 1000 line; exec $NHELPER sleep 100'
EOF
	nuc_start
	wait_until 10 eval 'svc_lines small | grep -qx "line 1000"'
	wait_until 10 eval 'svc_lines big | grep -qx "line 1000"'
	run ctl logs small
	# every record whole, the newest kept, the oldest gone
	grep -vqE "^$TIME_RE small: line [0-9]+$" <<<"$output" && false
	[[ ${lines[-1]} == *" small: line 1000" ]]
	[ "${#lines[@]}" -lt 200 ]
	# the default (16K) holds more
	[ "$(svc_lines big | wc -l)" -gt "${#lines[@]}" ]
	[ "$(svc_get small log_lines)" -eq 1000 ]
	printf '[system]\nlog_ring = 1K\n' >"$T/bad.ini"
	run "$NUC_INIT" --check --manifest "$T/bad.ini"
	[ "$status" -ne 0 ]
	[[ $output == *"expected a size from 4K to 64M"* ]]
}

@test "status: STATUS= text has its own column and goes when the run ends; version without a daemon" {
	write_manifest <<EOF
[service.st]
isolate = no
ready = notify
exec = sh -c 'systemd-notify --ready --status="Serving 3 clients"; sleep 1; systemd-notify --status="Saving the final snapshot"; sleep 0.3; exit 0'
EOF
	nuc_start
	wait_for_state st ready
	run ctl status
	echo "$output"
	grep -qE '^st +ready .* Serving 3 clients +$' <<<"$output"
	grep -qE '^NAME +STATE +PID +RESTARTS +EXIT +HEALTH +SINCE +STATUS +ERROR$' <<<"$output"
	wait_until 10 eval '[ "$(svc_get st state)" != ready ]'
	run ctl status
	echo "$output"
	refute grep -q 'Saving the final snapshot' <<<"$output"
	[ "$(svc_get st status_text)" = null ]
	# the client's version, whether or not a nucleus-init answers
	run "$NUC_CTL" --runtime-dir "$T/nowhere" version
	[ "$status" -eq 3 ]
	[[ ${lines[0]} == "nucleusctl "* ]]
	run ctl version
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == "nucleusctl "* ]]
	[[ ${lines[1]} == "nucleus-init "* ]]
}

@test "console_level: only records at or above it reach the console; all are kept" {
	write_manifest <<EOF2
[system]
console_level = warn

[service.c]
isolate = no
exec = sh -c 'echo to-stdout; echo to-stderr >&2; exec $NHELPER sleep 100'
EOF2
	nuc_start
	wait_until 10 eval 'svc_lines c | grep -qx to-stderr'
	wait_for_state c ready
	grep -qx 'c: to-stderr' "$LOG"
	refute grep -q 'to-stdout' "$LOG"
	refute grep -q 'c: ready' "$LOG"
	# kept all the same
	svc_lines c | grep -qx to-stdout
	svc_lines nucleus | grep -qE '^c: ready \(pid [0-9]+\)$'
	printf '[system]\nconsole_level = loud\n' >"$T/bad.ini"
	run "$NUC_INIT" --check --manifest "$T/bad.ini"
	[ "$status" -ne 0 ]
	[[ $output == *"console_level"*"expected error, warn, info or debug"* ]]
}

@test "log_dir: records kept in files per service, rotated by size and count; the boot's records too" {
	write_manifest <<EOF2
[system]
log_dir = $T/logs
log_max_size = 4K
log_max_files = 2

[service.rot]
isolate = no
exec = sh -c '$NHELPER print 600 a-line-of-forty-bytes-or-so-from-rot; exec $NHELPER sleep 100'
EOF2
	nuc_start
	wait_until 10 eval 'svc_lines rot | grep -qx "a-line-of-forty-bytes-or-so-from-rot 600"'
	# the writer fsyncs within 5 s; its count says when it has all
	wait_until 15 eval '[ "$(ctl status --json | python3 -c "import json,sys; print(json.load(sys.stdin)[\"log_dir\"][\"written\"])")" -ge 600 ]'
	ls -la "$T/logs"
	[ -f "$T/logs/rot.log" ] && [ -f "$T/logs/rot.log.1" ] && [ -f "$T/logs/rot.log.2" ]
	[ ! -e "$T/logs/rot.log.3" ]
	for f in "$T"/logs/rot.log*; do
		[ "$(stat -c %s "$f")" -le 4096 ]
	done
	# one text line per record, the newest last, none lost between the files
	cat "$T/logs/rot.log.2" "$T/logs/rot.log.1" "$T/logs/rot.log" >"$T/all"
	grep -vqE "^$TIME_RE rot: a-line-of-forty-bytes-or-so-from-rot [0-9]+$" "$T/all" && false
	tail -n 1 "$T/all" | grep -q ' 600$'
	first=$(head -n 1 "$T/all" | sed 's/.* //')
	[ "$(wc -l <"$T/all")" -eq $((600 - first + 1)) ]
	# PID 1's own records, from before the writer started
	grep -qE "^$TIME_RE nucleus: nucleus-init .* starting" "$T/logs/nucleus.log"
	run ctl status --json
	[[ $output == *'"log_dir": {"dir": "'"$T/logs"'", "written": '[0-9]* ]]
}

@test "log_dir on a full file system: records dropped and counted, services and PID 1 go on" {
	mkdir -p "$T/full"
	mount -t tmpfs -o size=16k tmpfs "$T/full"
	write_manifest <<EOF2
[system]
log_dir = $T/full

[service.chat]
isolate = no
exec = sh -c '$NHELPER print 2000 filling-the-disk-with-this-line; exec $NHELPER sleep 100'
EOF2
	nuc_start
	wait_until 10 eval 'svc_lines chat | grep -qx "filling-the-disk-with-this-line 2000"'
	wait_until 15 eval '[ "$(ctl status --json | python3 -c "import json,sys; print(json.load(sys.stdin)[\"log_dir\"][\"write_dropped\"])")" -gt 0 ]'
	wait_for_state chat ready
	run ctl status chat
	[ "$status" -eq 0 ]
	umount -l "$T/full"
}

@test "log_dir: at shutdown the writer takes what was sent and fsyncs before it ends" {
	write_manifest <<EOF2
[system]
log_dir = $T/logs

[service.last]
isolate = no
exec = sh -c '$NHELPER print 300 said-just-before-the-end; exec $NHELPER sleep 100'
EOF2
	nuc_start
	wait_until 10 eval 'svc_lines last | grep -qx "said-just-before-the-end 300"'
	ctl poweroff
	wait_until 15 eval '! kill -0 $NUC_PID 2>/dev/null'
	[ "$(grep -c 'said-just-before-the-end' "$T/logs/last.log")" -eq 300 ]
}

# listen PROTO PORT OUT: a listener on 127.0.0.1 writing what it gets to OUT
# (each UDP datagram, each TCP stream's bytes), until killed
listen() {
	python3 - "$1" "$2" "$3" <<'PY' &
import socket, sys
proto, port, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
f = open(out, "ab", buffering=0)
if proto == "udp":
    while True:
        f.write(s.recv(65536) + b"\n")
s.listen(4)
while True:
    c, _ = s.accept()
    while True:
        b = c.recv(65536)
        if not b:
            break
        f.write(b)
PY
	track_pid $!
	LISTENER=$!
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

@test "log_remote udp: every record as RFC 5424 syslog, PID 1's too" {
	port=$(free_port)
	listen udp "$port" "$T/udp"
	sleep 0.3
	write_manifest <<EOF2
[system]
log_remote = udp://127.0.0.1:$port

[service.ship]
isolate = no
exec = sh -c 'echo shipped-out; echo shipped-err >&2; exec $NHELPER sleep 100'
EOF2
	nuc_start
	wait_for_line "$T/udp" 'shipped-err' 10
	cat "$T/udp"
	grep -qE "^<30>1 $TIME_RE [^ ]+ ship - stdout - shipped-out$" "$T/udp"
	grep -qE "^<27>1 $TIME_RE [^ ]+ ship - stderr - shipped-err$" "$T/udp"
	grep -qE "^<30>1 $TIME_RE [^ ]+ nucleus - nucleus - ship: ready \(pid [0-9]+\)$" "$T/udp"
	wait_until 10 eval '[ "$(ctl status --json | python3 -c "import json,sys; print(json.load(sys.stdin)[\"log_remote\"][\"sent\"])")" -ge 3 ]'
}

@test "log_remote_format = json: one JSON object a datagram" {
	port=$(free_port)
	listen udp "$port" "$T/json"
	sleep 0.3
	write_manifest <<EOF2
[system]
log_remote = udp://127.0.0.1:$port
log_remote_format = json

[service.ship]
isolate = no
exec = sh -c 'echo as-json; exec $NHELPER sleep 100'
EOF2
	nuc_start
	wait_for_line "$T/json" 'as-json' 10
	grep -qE '^\{"time_ms": [0-9]+, "time": "[^"]+", "service": "ship", "stream": "stdout", "priority": 6, "line": "as-json"\}$' "$T/json"
}

@test "log_remote tcp: octet-counted syslog; records made while the listener is away come once it is back" {
	port=$(free_port)
	listen tcp "$port" "$T/tcp1"
	sleep 0.3
	write_manifest <<EOF2
[system]
log_remote = tcp://127.0.0.1:$port

[service.tick]
isolate = no
exec = sh -c 'i=0; while :; do i=\$((i + 1)); echo "tick \$i"; sleep 0.2; done'
EOF2
	nuc_start
	wait_for_line "$T/tcp1" 'tick 3' 10
	# octet counting: "LEN <PRI>1 ..."
	grep -qE '^[0-9]+ <30>1 ' "$T/tcp1"
	kill "$LISTENER"
	wait "$LISTENER" 2>/dev/null || true
	sleep 2
	listen tcp "$port" "$T/tcp2"
	# the back-off is at most a few seconds here; then the queue goes out
	wait_until 20 eval 'grep -q "tick" "$T/tcp2"'
	# nothing lost in between: the ticks are continuous over both listeners
	cat "$T/tcp1" "$T/tcp2" | grep -oE 'tick [0-9]+' | sed 's/tick //' >"$T/nums"
	last=$(tail -n 1 "$T/nums")
	[ "$(sort -n -u "$T/nums" | wc -l)" -eq "$last" ]
	run ctl status --json
	[[ $output == *'"log_remote": {"url": "tcp://127.0.0.1:'"$port"'", "sent": '* ]]
}

@test "log_dir: a burst faster than the writer is waited for, not dropped: every line on disk" {
	write_manifest <<EOF2
[system]
log_dir = $T/logs
log_max_size = 64M
console_level = warn

[service.b1]
isolate = no
type = oneshot
exec = $NHELPER print 100000 a-burst-of-lines-faster-than-any-disk-takes-them

[service.b2]
isolate = no
type = oneshot
exec = $NHELPER print 100000 a-burst-of-lines-faster-than-any-disk-takes-them
EOF2
	nuc_start
	wait_for_state b1 exited 60
	wait_for_state b2 exited 60
	wait_until 30 eval '[ "$(grep -c burst "$T/logs/b1.log" 2>/dev/null || echo 0)" -eq 100000 ] && [ "$(grep -c burst "$T/logs/b2.log" 2>/dev/null || echo 0)" -eq 100000 ]'
	run ctl status --json
	[[ $output == *'"log_writer": {"pid": '[0-9]*', "handed": '[0-9]*', "dropped": 0}'* ]]
	tail -n 1 "$T/logs/b1.log" | grep -q ' 100000$'
}

@test "stdout = file: rotated by log_max_size and log_max_files, its bytes as written, the last ones at poweroff" {
	mkdir "$T/out"
	write_manifest <<EOF2
[system]
log_max_size = 4K
log_max_files = 2

[service.fr]
isolate = no
exec = sh -c 'trap "printf \"said at the end\"; exit 0" TERM; $NHELPER print 600 a-line-of-forty-bytes-or-so-to-a-file; printf "no newline\\\\0yet"; while :; do sleep 0.1; done'
stdout = file:$T/out/fr.log
EOF2
	nuc_start
	wait_until 10 eval '[ "$(svc_get fr state)" = ready ]'
	wait_until 10 eval 'grep -qa "no newline" "$T/out/fr.log"'
	outputs_written
	ls -la "$T/out"
	[ -f "$T/out/fr.log.1" ] && [ -f "$T/out/fr.log.2" ] && [ ! -e "$T/out/fr.log.3" ]
	# a file ends where a line does: past the size by at most the end of one
	for f in "$T"/out/fr.log*; do
		[ "$(stat -c %s "$f")" -le $((4096 + 64)) ]
	done
	# not records: the service's own bytes, no time or name, a NUL and an unended line kept
	cat "$T/out/fr.log.2" "$T/out/fr.log.1" "$T/out/fr.log" >"$T/all"
	[ "$(tail -c 14 "$T/all" | od -An -c | tr -s ' ')" = " n o n e w l i n e \\0 y e t" ]
	head -c -14 "$T/all" | grep -vqxE 'a-line-of-forty-bytes-or-so-to-a-file [0-9]+' && false
	# rotated where a line ended: each file starts with a whole line, none lost between them
	for f in "$T/out/fr.log.2" "$T/out/fr.log.1"; do
		head -n 1 "$f" | grep -qxE 'a-line-of-forty-bytes-or-so-to-a-file [0-9]+'
	done
	first=$(head -n 1 "$T/all" | sed 's/.* //')
	[ "$(grep -ac 'a-line-of' "$T/all")" -eq $((600 - first + 1)) ]
	# not captured: no records, nothing on the console
	[ -z "$(svc_lines fr)" ]
	refute grep -q 'a-line-of' "$LOG"
	run ctl status --json
	[[ $output == *'"log_dir": null'* ]]
	[[ $output == *'"log_writer": {"pid": '[0-9]* ]]
	# what it writes while it is stopped at poweroff reaches the file: the writer ends last
	ctl poweroff
	wait_until 15 eval '! kill -0 $NUC_PID 2>/dev/null'
	[ "$(tail -c 15 "$T/out/fr.log")" = "said at the end" ]
}

@test "logs --dir: log_dir's files read with no daemon, an earlier run's records too, in time order" {
	for run in 1 2; do
		write_manifest <<EOF2
[system]
log_dir = $T/logs
log_max_size = 4K

[service.a]
isolate = no
exec = sh -c '$NHELPER print 60 run-$run-a-line-of-about-forty-bytes; sleep 0.2; echo a-late-$run; exec $NHELPER sleep 100'

[service.b]
isolate = no
exec = sh -c 'sleep 0.1; echo b-$run; exec $NHELPER sleep 100'
EOF2
		nuc_start
		wait_until 10 eval 'svc_lines a | grep -qx a-late-$run'
		ctl poweroff
		wait_until 15 eval '! kill -0 $NUC_PID 2>/dev/null'
	done
	[ -f "$T/logs/a.log.1" ] # rotated: the earlier lines are read from .1 and on
	# no nucleus-init runs: the client reads the files itself
	run "$NUC_CTL" --runtime-dir "$T/none" logs --dir "$T/logs" a b
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 124 ]
	[[ ${lines[0]} =~ ^$TIME_RE\ a:\ run-1-a-line-of-about-forty-bytes\ 1$ ]]
	sed -E 's/^[^ ]+ //' <<<"$output" | grep -vE '^a: run-' >"$T/rest"
	[ "$(cat "$T/rest")" = "b: b-1
a: a-late-1
b: b-2
a: a-late-2" ]
	[[ ${lines[123]} == *" a: a-late-2" ]]
	# every source without a name: PID 1's records of both runs among them
	[ "$("$NUC_CTL" logs --dir "$T/logs" | grep -c ' nucleus: nucleus-init .* starting')" -eq 2 ]
	# -n, --since, --json
	[ "$("$NUC_CTL" logs --dir "$T/logs" -n 2 a b | sed -E 's/^[^ ]+ //')" = "b: b-2
a: a-late-2" ]
	sleep 1.1
	[ -z "$("$NUC_CTL" logs --dir "$T/logs" --since 1s a)" ]
	[ "$("$NUC_CTL" logs --dir "$T/logs" --since 1h a | wc -l)" -eq 122 ]
	run "$NUC_CTL" logs --dir "$T/logs" --json -n 1 b
	[[ $output =~ ^\{\"time_ms\":\ null,\ \"time\":\ \"$TIME_RE\",\ \"service\":\ \"b\",\ \"stream\":\ null,\ \"priority\":\ null,\ \"line\":\ \"b-2\"\}$ ]]
	# errors: a name with no files, a path for a name, no directory
	run "$NUC_CTL" logs --dir "$T/logs" nosuch
	[ "$status" -eq 1 ]
	[[ $output == *"no records of nosuch in $T/logs"* ]]
	run "$NUC_CTL" logs --dir "$T/logs" ../etc/passwd
	[ "$status" -eq 1 ]
	run "$NUC_CTL" logs --dir "$T/nowhere"
	[ "$status" -eq 1 ]
	[[ $output == *"$T/nowhere: No such file or directory"* ]]
}

@test "logs: a run's last output is read to the end before its unended line is one: no line cut in two" {
	# each run leaves up to a full pipe unread when it ends; ten runs
	write_manifest <<EOF2
[system]
console_level = warn

[service.long]
isolate = no
type = oneshot
exec = sh -c 'head -c 40000 /dev/zero | tr "\\\\0" x | fold -w 1000; echo; printf tail-without-newline'
log_ring = 1M
EOF2
	nuc_start
	for run in $(seq 1 10); do
		wait_for_state long exited 20
		[ "$run" -lt 10 ] && ctl restart long >/dev/null
	done
	svc_lines long >"$T/lines"
	# every line whole: 40 lines of 1000 x and the unended tail, ten times
	[ "$(grep -cx 'x\{1000\}' "$T/lines")" -eq 400 ]
	[ "$(grep -cx tail-without-newline "$T/lines")" -eq 10 ]
	[ "$(wc -l <"$T/lines")" -eq 410 ]
}
