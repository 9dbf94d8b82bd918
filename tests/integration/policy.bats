#!/usr/bin/env bats
# Policy you can see and tighten (issue 16): Landlock on an isolated
# service's files, [system] require and on_unmet. (--check warnings and
# --strict are in check.bats.)

load ../lib/common

setup() { nuc_setup; }
teardown() { nuc_teardown; }

# A oneshot that tries what Landlock governs and says what happened.
landlock_probe() { # NAME LANDLOCK
	cat <<EOF
[service.$1]
type = oneshot
volumes = $T/vol:/data:rw $T/ro:/ro $T/sysdata:/sysdata:rw
capabilities = SYS_ADMIN
seccomp = none
landlock = $2
exec = /bin/sh -c 'for step in "echo a >/tmp/f" "echo b >/data/f" "echo e >/sysdata/f" "echo c >/dev/null" "cat /ro/f" "ls /usr/bin" "/bin/true" "echo d >/proc/self/comm" "mkdir -p /tmp/m && mount -t tmpfs none /tmp/m"; do if sh -c "\$step" >/dev/null 2>\$T_ERR; then echo "ok: \$step"; else echo "denied: \$step: \$(head -1 \$T_ERR)"; fi; done'
env = T_ERR=/tmp/err
stdout = file:$T/$1.out
EOF
}

@test "landlock = yes: reads of the root, the rw volume, /tmp and /dev work; /proc writes and mounts are denied" {
	mkdir -p "$T/vol" "$T/ro" "$T/sysdata"
	echo kept >"$T/ro/f"
	{
		landlock_probe locked yes
		echo
		landlock_probe open no
	} | write_manifest
	nuc_start
	wait_for_state locked exited 10
	wait_for_state open exited 10
	outputs_written
	cat "$T/locked.out"
	# (a volume whose name only starts like /sys is a volume like any other)
	for step in 'echo a >/tmp/f' 'echo b >/data/f' 'echo e >/sysdata/f' 'echo c >/dev/null' 'cat /ro/f' 'ls /usr/bin' '/bin/true'; do
		grep -qxF "ok: $step" "$T/locked.out"
		grep -qxF "ok: $step" "$T/open.out"
	done
	# what the mounts allow and Landlock does not: EACCES, and no mount at all
	grep -qE '^denied: echo d >/proc/self/comm: .*Permission denied' "$T/locked.out"
	grep -qE '^denied: mkdir -p /tmp/m && mount .*: .*[Pp]ermission denied' "$T/locked.out"
	# the same service without Landlock: both go through
	grep -qxF 'ok: echo d >/proc/self/comm' "$T/open.out"
	grep -qxF 'ok: mkdir -p /tmp/m && mount -t tmpfs none /tmp/m' "$T/open.out"
	[ "$(cat "$T/vol/f")" = b ]
	# status says which ABI applied
	[[ $(svc_json locked) =~ \"landlock\":\ [1-9][0-9]*, ]]
	[[ $(svc_json open) == *'"landlock": null,'* ]]
	# outside a machine PID 1 does not see the kernel's audit records
	[[ $(svc_json locked) == *'"seccomp_denials": null}'* ]]
}

@test "landlock_rw opens a path of the root for writing; landlock without the mount namespace is an error" {
	mkdir -p "$T/vol"
	write_manifest <<EOF
[service.w]
type = oneshot
volumes = $T/vol:/data:rw
landlock_rw = /proc
exec = /bin/sh -c 'echo renamed >/proc/self/comm && echo written'
stdout = file:$T/w.out
EOF
	nuc_start
	wait_for_state w exited 10
	outputs_written
	[ "$(cat "$T/w.out")" = written ]
	write_manifest <<EOF
[service.nomnt]
exec = /bin/true
namespaces = pid ipc uts
landlock = yes

[service.plain]
exec = /bin/true
isolate = no
landlock_rw = /srv
EOF
	run "$NUC_INIT" --check --manifest "$M"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"$M:4: nomnt: landlock needs the mount namespace"* ]]
	[[ $output == *"plain: isolate = no runs in the host's namespaces"*landlock* ]]
	write_manifest <<EOF
[service.bad]
exec = /bin/true
landlock = sometimes
landlock_ro = relative/path
EOF
	run "$NUC_INIT" --check --manifest "$M"
	[[ $output == *"$M:3: bad: landlock: invalid value 'sometimes': expected yes, no or auto"* ]]
	[[ $output == *"$M:4: bad: landlock_ro: invalid value"* ]]
}

@test "require: a missing feature stops the boot before any service starts, naming it" {
	# this host has no cgroup v2 hierarchy of its own
	write_manifest <<EOF
[system]
require = seccomp cgroup2

[service.never]
isolate = no
exec = sh -c 'touch $T/started; exec sleep 100'
EOF
	nuc_start_bg
	nuc_wait_exit 10
	cat "$LOG"
	[ "$NUC_RC" -eq 1 ]
	[ ! -e "$T/started" ]
	grep -q 'require: not met: cgroup2: .*stopping before any service starts' "$LOG"
	refute grep -q 'never: ' "$LOG"
}

@test "require with on_unmet = stay: nothing starts, the control socket answers and says why" {
	write_manifest <<EOF
[system]
require = cgroup2 landlock
on_unmet = stay

[service.held]
isolate = no
exec = sh -c 'touch $T/started; exec sleep 100'
EOF
	nuc_start
	run ctl status --json
	echo "$output"
	[[ $output == *'"require": {"required": ["cgroup2", "landlock"], "found": {"cgroup2": false, "landlock": '[1-9]* ]]
	[[ $output == *'"met": false, "unmet": "cgroup2: '* ]]
	# what was not asked for is not probed: null
	[[ $output == *'"lockdown": null, "nftables": null}'* ]]
	run ctl start held
	[ "$status" -eq 1 ]
	[[ $output == *"start held: the boot is stopped: no service starts"* ]]
	[ ! -e "$T/started" ]
	[ "$(svc_get held state)" != ready ]
	grep -q 'require: not met: cgroup2: .*no service starts (on_unmet = stay)' "$LOG"
}

@test "require: what the kernel has is met, and status lists it; bad values are --check errors" {
	write_manifest <<EOF
[system]
require = seccomp landlock
require = nftables

[service.runs]
isolate = no
exec = sh -c 'touch $T/started; exec sleep 100'
EOF
	nuc_start
	wait_for_state runs ready 10
	[ -e "$T/started" ]
	grep -q 'require: every required kernel feature is there' "$LOG"
	run ctl status --json
	[[ $output == *'"require": {"required": ["landlock", "seccomp", "nftables"], "found": {"cgroup2": false, "landlock": '[1-9]*', "seccomp": true, '*'"nftables": true}, "met": true, "unmet": null}'* ]]
	write_manifest <<EOF
[system]
require = cgroup3 lockdown
on_unmet = maybe
EOF
	run "$NUC_INIT" --check --manifest "$M"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"$M:2: [system]: require: invalid value 'cgroup3 lockdown': expected items of cgroup2 landlock seccomp lockdown=integrity"* ]]
	[[ $output == *"$M:3: [system]: on_unmet: invalid value 'maybe': expected poweroff or stay"* ]]
}
