#!/usr/bin/env bats
# nucleus-init --check: every error as PATH:LINE: message, exit 0 or 1,
# nothing started.

load ../lib/common

setup() { nuc_setup; }
teardown() { nuc_teardown; }

check() {
	run "$NUC_INIT" --check --manifest "$M"
	echo "$output"
}

# has_error LINE WORD...: a "PATH:LINE: message" line holding every WORD.
has_error() {
	local line=$1 l w ok
	shift
	while IFS= read -r l; do
		[[ $l == "$M:$line: "* ]] || continue
		ok=1
		for w in "$@"; do
			[[ $l == *"$w"* ]] || ok=
		done
		[ -n "$ok" ] && return 0
	done <<<"$output"
	echo "no error at line $line with: $*" >&2
	return 1
}

@test "a valid manifest passes with exit 0" {
	write_manifest <<EOF
[system]
log_level = debug
shutdown_timeout = 5s
on_empty = stay

[service.web]
exec = /bin/sh -c "echo 'a b' \\"c\\""
type = longrun
user = nobody:nogroup
after = db
requires = db
restart = always
restart_delay = 500ms
restart_delay_max = 1m
start_limit = 5/60s
stop_signal = SIGINT
stop_timeout = 10s
critical = true
on_critical = poweroff
stdout = file:/tmp/x.log
stderr = null
env = A=1 B=2

[service.db]
exec = /bin/true
type = oneshot
EOF
	check
	[ "$status" -eq 0 ]
	# no error lines (db, root in the host's network, has a warning)
	[ -z "$(grep -v ': warning: ' <<<"$output" | grep "^$M:[0-9]")" ]
}

@test "--check starts nothing" {
	write_manifest <<EOF
[service.job]
type = oneshot
exec = $NHELPER touch $T/ran
EOF
	check
	[ "$status" -eq 0 ]
	holds 0.2 test ! -e "$T/ran"
}

@test "an unknown key is an error at its line" {
	write_manifest <<EOF
[service.a]
exec = /bin/true
colour = red
EOF
	check
	[ "$status" -eq 1 ]
	has_error 3 colour
}

@test "a bad duration is an error at its line" {
	write_manifest <<EOF
[service.a]
exec = /bin/true

restart_delay = 5parsecs
EOF
	check
	[ "$status" -eq 1 ]
	has_error 4 restart_delay 5parsecs
}

@test "durations: ms, s, m, h and bare seconds are valid; others are not" {
	write_manifest <<EOF
[service.a]
exec = /bin/true
restart_delay = 500ms
restart_delay_max = 2m
stop_timeout = 10
ready_timeout = 1h

[service.b]
exec = /bin/true
stop_timeout = 10 s
restart_delay = -1s
restart_delay_max = 1.5s
ready_timeout = 3d
EOF
	check
	[ "$status" -eq 1 ]
	has_error 10 stop_timeout
	has_error 11 restart_delay
	has_error 12 restart_delay_max
	has_error 13 ready_timeout
	[ "$(grep -E "^$M:[0-9]+: " <<<"$output" | grep -vc ': warning: ')" -eq 4 ]
}

@test "an unknown dependency is an error at its line, naming it" {
	write_manifest <<EOF
[service.a]
exec = /bin/true

[service.b]
exec = /bin/true
after = a ghost
EOF
	check
	[ "$status" -eq 1 ]
	has_error 6 ghost
}

@test "an unknown required service is an error too" {
	write_manifest <<EOF
[service.b]
exec = /bin/true
requires = phantom
EOF
	check
	[ "$status" -eq 1 ]
	has_error 3 phantom
}

@test "a dependency cycle is an error at a line of the cycle, naming its members" {
	write_manifest <<EOF
[service.a]
exec = /bin/true
after = c

[service.b]
exec = /bin/true
requires = a

[service.c]
exec = /bin/true
after = b

[service.free]
exec = /bin/true
EOF
	check
	[ "$status" -eq 1 ]
	local l
	l=$(grep -m1 "cycle" <<<"$output")
	[[ $l =~ ^"$M":(3|7|11):\  ]]
	[[ $l == *a* && $l == *b* && $l == *c* ]]
	[[ $l != *free* ]]
}

@test "a service depending on itself is a cycle" {
	write_manifest <<EOF
[service.narcissus]
exec = /bin/true
after = narcissus
EOF
	check
	[ "$status" -eq 1 ]
	has_error 3 narcissus
}

@test "a key given twice is an error at the second line" {
	write_manifest <<EOF
[service.a]
exec = /bin/true
stop_timeout = 1s
restart = always
stop_timeout = 2s
EOF
	check
	[ "$status" -eq 1 ]
	has_error 5 stop_timeout
}

@test "a section given twice is an error" {
	write_manifest <<EOF
[service.a]
exec = /bin/true

[service.a]
exec = /bin/false
EOF
	check
	[ "$status" -eq 1 ]
	has_error 4 service.a
}

@test "a line too long is an error at its line, and the next lines still parse" {
	long=$(printf 'x%.0s' $(seq 1 5000))
	write_manifest <<EOF
[service.a]
exec = /bin/echo $long

[service.b]
exec = /bin/true
colour = blue
EOF
	check
	[ "$status" -eq 1 ]
	has_error 2 long
	has_error 6 colour
}

@test "a service without exec is an error at its section line" {
	write_manifest <<EOF
[service.ok]
exec = /bin/true

[service.noexec]
type = oneshot
restart = never
EOF
	check
	[ "$status" -eq 1 ]
	has_error 4 exec noexec
}

@test "every error is reported, not just the first" {
	write_manifest <<EOF
[service.a]
exec = /bin/true
critical = maybe
stop_signal = SIGFOO
start_limit = 5
restart = sometimes
memory_max = 12X
nofile = lots
type = daemon
stdout = somewhere

[service.bad name!]
exec = /bin/true

[bogus]
x = 1
EOF
	check
	[ "$status" -eq 1 ]
	has_error 3 critical maybe
	has_error 4 stop_signal SIGFOO
	has_error 5 start_limit
	has_error 6 restart sometimes
	has_error 7 memory_max 12X
	has_error 8 nofile lots
	has_error 9 type daemon
	has_error 10 stdout somewhere
	has_error 12 "bad name!"
	has_error 15 bogus
}

@test "errors in [system] carry their line" {
	write_manifest <<EOF
[system]
on_empty = explode
log_level = chatty
shutdown_timeout = soon
EOF
	check
	[ "$status" -eq 1 ]
	has_error 2 on_empty explode
	has_error 3 log_level chatty
	has_error 4 shutdown_timeout soon
}

@test "keys of features not built yet are still validated by --check" {
	write_manifest <<EOF
[service.a]
exec = /bin/true
memory_max = 64M
pids_max = 100
ready = tcp:127.0.0.1:80
health = exec:/bin/true

[service.b]
exec = /bin/true
memory_max = 64Q
ready = smoke-signals
EOF
	check
	[ "$status" -eq 1 ]
	has_error 10 memory_max
	has_error 11 ready
	[ "$(grep -E "^$M:[0-9]+: " <<<"$output" | grep -vc ': warning: ')" -eq 2 ]
}

@test "a missing manifest file is an error with exit 1" {
	run "$NUC_INIT" --check --manifest "$T/nonexistent.ini"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$T/nonexistent.ini"* ]]
	[[ "$output" == *"No such file or directory"* ]]
}

@test "an empty manifest is valid" {
	: >"$M"
	check
	[ "$status" -eq 0 ]
}

@test "an unterminated quote in exec is one error at its line (exec is not 'missing')" {
	write_manifest <<EOF
[service.a]
exec = /bin/echo 'unbalanced

[service.b]
exec = /bin/true
env = NOEQUALS
stdout = file:relative/path
EOF
	check
	[ "$status" -eq 1 ]
	has_error 2 exec quote
	has_error 6 env NOEQUALS
	has_error 7 stdout relative/path
	# exec was given: reporting it as required would send the user astray
	refute grep -q 'exec is required' <<<"$output"
}

@test "mkfs: only ext2/3/4, on a device path, of the mount's own type" {
	cat >"$M" <<-'INI'
		[mount.a]
		what = LABEL=data
		where = /data
		type = ext4
		mkfs = ext4

		[mount.b]
		what = /dev/vdb
		where = /b
		type = vfat
		mkfs = ext4

		[mount.c]
		what = /dev/vdc
		where = /c
		type = xfs
		mkfs = xfs

		[mount.d]
		what = /dev/vdd
		where = /d
		type = ext4
		mkfs = ext4
	INI
	check
	[ "$status" -eq 1 ]
	has_error 1 "mount.a" "mkfs needs what = a device path"
	has_error 7 "mount.b" "mkfs = ext4 but type = vfat"
	has_error 17 mkfs "expected ext4, ext3 or ext2"
	[[ $output != *"mount.d"* ]]
}

@test "--check warns of what gives isolation away, each at its key's line; --strict makes them errors" {
	write_manifest <<EOF
[service.web]
exec = /bin/true
user = nobody
network = none
capabilities = NET_BIND_SERVICE SYS_ADMIN cap_sys_ptrace
seccomp = none
no_new_privileges = no

[service.open]
exec = /bin/true
isolate = no

[service.hostnet]
exec = /bin/true

[service.usermapped]
exec = /bin/true
namespaces = mount pid ipc uts user

[service.careful]
exec = /bin/true
user = nobody
capabilities = NET_BIND_SERVICE CHOWN
EOF
	check
	[ "$status" -eq 0 ]
	[[ ${lines[-1]} == "$M: ok (5 services, with warnings)" ]]
	has_error 5 'warning: web: capabilities keeps SYS_ADMIN'
	has_error 5 'warning: web: capabilities keeps SYS_PTRACE'
	has_error 6 'warning: web: seccomp = none'
	has_error 7 'warning: web: no_new_privileges = no'
	has_error 11 'warning: open: isolate = no as root'
	# root, no user namespace, the host's network: at the section (network is not given)
	has_error 13 "warning: hostnet: root without a user namespace in the host's network"
	[ "$(grep -c ': warning: ' <<<"$output")" -eq 6 ]
	refute grep -q 'NET_BIND_SERVICE\|usermapped\|careful' <<<"$output"
	# --strict: the same lines, exit 1
	run "$NUC_INIT" --check --strict --manifest "$M"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(grep -c ': warning: ' <<<"$output")" -eq 6 ]
	[[ $output == *"$M: 6 warnings, errors under --strict"* ]]
	# a manifest with nothing to warn of passes --strict
	write_manifest <<EOF
[service.careful]
exec = /bin/true
user = nobody
EOF
	run "$NUC_INIT" --check --strict --manifest "$M"
	[ "$status" -eq 0 ]
	[ "$output" = "$M: ok (1 service)" ]
	run "$NUC_INIT" --strict --manifest "$M"
	[ "$status" -eq 2 ]
}
