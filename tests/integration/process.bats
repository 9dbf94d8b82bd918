#!/usr/bin/env bats
# How a service's process is set up: exec and its word splitting, exec
# failures, user/groups, workdir, env/env_file, stdout/stderr modes.

load ../lib/common

setup() { nuc_setup; }
teardown() { nuc_teardown; }

# logs_have NAME TEXT: nucleusctl logs NAME holds a line equal to TEXT.
logs_have() {
	svc_lines "$1" | grep -qxF -- "$2"
}

@test "a missing binary fails the service with exit 127 and the exec error" {
	write_manifest <<EOF
[service.ghost]
isolate = no
exec = /nonexistent/binary --flag

[service.fine]
isolate = no
exec = $NHELPER sleep 100
EOF
	nuc_start
	wait_for_state ghost failed
	[ "$(svc_get ghost exit_status)" = 127 ]
	[ "$(svc_get ghost error)" = "exec: /nonexistent/binary: No such file or directory" ]
	[ "$(svc_get ghost pid)" = null ]
	# no retry loop for a setup that cannot succeed
	[ "$(svc_get ghost restarts)" = 0 ]
	[ "$(svc_get fine state)" = ready ]
	grep -q 'exec: /nonexistent/binary: No such file or directory' "$LOG"
}

@test "a command not found in PATH fails with 127" {
	write_manifest <<EOF
[service.ghost]
isolate = no
exec = no-such-command-anywhere
EOF
	nuc_start
	wait_for_state ghost failed
	[ "$(svc_get ghost exit_status)" = 127 ]
	[[ "$(svc_get ghost error)" == "exec: no-such-command-anywhere: No such file or directory" ]]
}

@test "a file that is not executable fails with 126 and Permission denied" {
	printf 'data\n' >"$T/data"
	chmod 644 "$T/data"
	write_manifest <<EOF
[service.data]
isolate = no
exec = $T/data
EOF
	nuc_start
	wait_for_state data failed
	[ "$(svc_get data exit_status)" = 126 ]
	[ "$(svc_get data error)" = "exec: $T/data: Permission denied" ]
}

@test "exec is split like a shell splits words, without running a shell" {
	write_manifest <<EOF
[service.args]
isolate = no
type = oneshot
exec = /bin/sh -c 'printf "<%s>\\n" "\$@"' argv0 "two words" 'single q' back\\ slash "dq \\"inner\\"" '\$HOME' plain
EOF
	cat "$M"
	nuc_start
	wait_for_state args exited
	[ "$(svc_get args exit_status)" = 0 ]
	run svc_lines args
	echo "$output"
	[ "$output" = "<two words>
<single q>
<back slash>
<dq \"inner\">
<\$HOME>
<plain>" ]
}

@test "a user that does not exist fails the service with an error naming the user" {
	write_manifest <<EOF
[service.who]
isolate = no
exec = /usr/bin/id
user = nosuchuser

[service.fine]
isolate = no
exec = $NHELPER sleep 100
EOF
	nuc_start
	wait_for_state who failed
	[[ "$(svc_get who error)" == *nosuchuser* ]]
	[ "$(svc_get who restarts)" = 0 ]
	[ "$(svc_get fine state)" = ready ]
}

@test "a group that does not exist fails the service with an error naming it" {
	write_manifest <<EOF
[service.who]
isolate = no
exec = /usr/bin/id
user = nobody
groups = nosuchgroup
EOF
	nuc_start
	wait_for_state who failed
	[[ "$(svc_get who error)" == *nosuchgroup* ]]
}

@test "user = nobody runs as nobody with its primary group and its HOME" {
	write_manifest <<EOF
[service.who]
isolate = no
type = oneshot
exec = /bin/sh -c 'id && echo "home=\$HOME"'
user = nobody
EOF
	nuc_start
	wait_for_state who exited
	run svc_lines who
	echo "$output"
	[[ "$output" == *"uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)"* ]]
	[[ "$output" == *"home=/nonexistent"* ]]
}

@test "user = NAME:GROUP, numeric ids and supplementary groups" {
	write_manifest <<EOF
[service.named]
isolate = no
type = oneshot
exec = /usr/bin/id
user = nobody:users
groups = users nogroup

[service.numeric]
isolate = no
type = oneshot
exec = /usr/bin/id -u
user = 4321:4322
EOF
	nuc_start
	wait_for_state named exited
	wait_for_state numeric exited
	run svc_lines named
	echo "$output"
	[[ "$output" == "uid=65534(nobody) gid=100(users) groups=100(users),65534(nogroup)" ]]
	run svc_lines numeric
	[ "$output" = 4321 ]
}

@test "root keeps no supplementary groups it was not given" {
	write_manifest <<EOF
[service.who]
isolate = no
type = oneshot
exec = /usr/bin/id
EOF
	nuc_start
	wait_for_state who exited
	run svc_lines who
	echo "$output"
	[ "$output" = "uid=0(root) gid=0(root) groups=0(root)" ]
}

@test "workdir sets the working directory; the default is /" {
	mkdir "$T/work dir"
	write_manifest <<EOF
[service.wd]
isolate = no
type = oneshot
exec = /bin/pwd
workdir = $T/work dir

[service.root]
isolate = no
type = oneshot
exec = /bin/pwd

[service.missing]
isolate = no
type = oneshot
exec = /bin/pwd
workdir = $T/nowhere
EOF
	cd "$T"
	nuc_start
	wait_for_state wd exited
	wait_for_state root exited
	[ "$(svc_lines wd)" = "$T/work dir" ]
	[ "$(svc_lines root)" = / ]
	wait_for_state missing failed
	[[ "$(svc_get missing error)" == *workdir* ]]
	[[ "$(svc_get missing error)" == *"$T/nowhere"* ]]
	[[ "$(svc_get missing error)" == *"No such file or directory"* ]]
}

@test "the environment is clean: PATH, HOME and what env gives" {
	write_manifest <<EOF
[service.env]
isolate = no
type = oneshot
exec = $NHELPER env
env = FOO=bar 'SPACED=a b' EMPTY=
EOF
	LEAKME=1 nuc_start
	wait_for_state env exited
	run svc_lines env
	echo "$output"
	got=$(grep -v '^NOTIFY_SOCKET=' <<<"$output" | sort | tr '\n' '|')
	[ "$got" = "EMPTY=|FOO=bar|HOME=/root|PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin|SPACED=a b|" ]
}

@test "env_file adds KEY=VALUE lines; comments, blank lines and quotes handled" {
	cat >"$T/env" <<EOF
# a comment
ALPHA=1

BETA="two words"
GAMMA='single'
EOF
	write_manifest <<EOF
[service.env]
isolate = no
type = oneshot
exec = $NHELPER env
env_file = $T/env
env = DELTA=4
EOF
	nuc_start
	wait_for_state env exited
	run svc_lines env
	echo "$output"
	logs_have env ALPHA=1
	logs_have env "BETA=two words"
	logs_have env GAMMA=single
	logs_have env DELTA=4
	refute grep -q comment <<<"$output"
	[ "$(grep -cv '^NOTIFY_SOCKET=' <<<"$output")" -eq 6 ]
}

@test "a missing env_file fails the service naming the file" {
	write_manifest <<EOF
[service.env]
isolate = no
exec = $NHELPER env
env_file = $T/nope.env
EOF
	nuc_start
	wait_for_state env failed
	[[ "$(svc_get env error)" == *"$T/nope.env"* ]]
}

@test "a malformed env_file line fails the service naming the file and line" {
	printf 'GOOD=1\nthis is not an assignment\n' >"$T/bad.env"
	write_manifest <<EOF
[service.env]
isolate = no
exec = $NHELPER env
env_file = $T/bad.env
EOF
	nuc_start
	wait_for_state env failed
	[[ "$(svc_get env error)" == *"$T/bad.env:2"* ]]
}

@test "stdout = log: lines go to nucleusctl logs and the console, prefixed" {
	write_manifest <<EOF
[service.talker]
isolate = no
exec = sh -c '$NHELPER print 3 hello && echo oops >&2 && exec $NHELPER sleep 100'
EOF
	nuc_start
	wait_for_state talker ready
	wait_until 5 logs_have talker oops
	run svc_lines talker
	[ "$output" = "hello 1
hello 2
hello 3
oops" ]
	grep -qx 'talker: hello 2' "$LOG"
	grep -qx 'talker: oops' "$LOG"
}

@test "a last line without a newline is captured when the service exits" {
	write_manifest <<EOF
[service.partial]
isolate = no
type = oneshot
exec = printf 'first\\nno newline at the end'
EOF
	nuc_start
	wait_for_state partial exited
	wait_until 3 logs_have partial "no newline at the end"
	[ "$(svc_lines partial)" = "first
no newline at the end" ]
	grep -qx 'partial: no newline at the end' "$LOG"
}

@test "nucleusctl logs keeps the most recent lines of a chatty service" {
	write_manifest <<EOF
[service.chatty]
isolate = no
exec = sh -c '$NHELPER print 5000 line && exec $NHELPER sleep 100'
stdout = log
EOF
	nuc_start
	wait_until 10 logs_have chatty "line 5000"
	run svc_lines chatty
	[ "${lines[-1]}" = "line 5000" ]
	# a ring of recent lines, not the whole history
	refute grep -qx 'line 1' <<<"$output"
}

@test "stdout = file:PATH appends to the file; nothing is captured" {
	echo "before" >"$T/out.log"
	write_manifest <<EOF
[service.filer]
isolate = no
type = oneshot
exec = sh -c '$NHELPER print 2 to-file && echo to-stderr >&2'
stdout = file:$T/out.log
stderr = file:$T/err.log
EOF
	nuc_start
	wait_for_state filer exited
	outputs_written
	[ "$(cat "$T/out.log")" = "before
to-file 1
to-file 2" ]
	[ "$(cat "$T/err.log")" = to-stderr ]
	[ -z "$(svc_lines filer)" ]
	refute grep -q 'to-file' "$LOG"
}

@test "stdout = null discards; stderr still logged" {
	write_manifest <<EOF
[service.quiet]
isolate = no
type = oneshot
exec = sh -c 'echo silenced && echo kept >&2'
stdout = null
EOF
	nuc_start
	wait_for_state quiet exited
	[ "$(svc_lines quiet)" = kept ]
	refute grep -q silenced "$LOG"
}

@test "stdout = console writes to the console without capturing" {
	write_manifest <<EOF
[service.loud]
isolate = no
type = oneshot
exec = $NHELPER print 1 on-console
stdout = console
EOF
	nuc_start
	wait_for_state loud exited
	wait_for_log 'on-console 1'
	[ -z "$(svc_lines loud)" ]
}

@test "a stdout file that cannot be opened fails the service naming the path" {
	write_manifest <<EOF
[service.badfile]
isolate = no
exec = $NHELPER sleep 100
stdout = file:$T/no/such/dir/out.log
EOF
	nuc_start
	wait_for_state badfile failed
	[[ "$(svc_get badfile error)" == *"$T/no/such/dir/out.log"* ]]
}

@test "services get no file descriptors beyond 0, 1 and 2" {
	write_manifest <<EOF
[service.fds]
isolate = no
type = oneshot
exec = /bin/ls /proc/self/fd
EOF
	nuc_start
	wait_for_state fds exited
	run svc_lines fds
	echo "$output"
	# ls itself opens one directory fd
	[ "$(grep -cvxE '[012]' <<<"$output")" -le 1 ]
}
