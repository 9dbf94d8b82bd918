#!/usr/bin/env bats
# Policy in a real guest (issue 16): PID 1 takes the kernel's audit records,
# so a seccomp denial is logged with the service's name and counted, and a
# `seccomp = learn` service's calls become a profile that then confines it;
# Landlock under the guest's kernel; [system] require met with
# lockdown=integrity on the kernel command line, and unmet (cgroups off, no
# lockdown) powering the guest off before any service starts.

load helpers

setup_file() { qt_setup_file; }
teardown_file() { qt_teardown_file; }
teardown() { qt_teardown; }

@test "policy: denials logged and counted; learn, profile, run under it; Landlock; require met with lockdown=integrity" {
	cat >"$QT_DIR/policy.ini" <<'INI'
[system]
require = cgroup2 landlock seccomp lockdown=integrity nftables

[service.denier]
; mount is not in the default allow-list: EPERM, twice
exec = /bin/sh -c 'mount -t tmpfs none /tmp 2>/dev/null; mount -t tmpfs none /tmp 2>/dev/null; exec sleep 1000'

[service.learner]
seccomp = learn
exec = /bin/sh -c 'ls /; exec sleep 1000'

[service.keeper]
isolate = no
exec = /bin/sleep 100000

[service.locked]
landlock = yes
exec = /bin/sh -c 'echo x >/proc/self/comm 2>/dev/null && echo comm-written || echo comm-denied; exec sleep 1000'
INI
	qt_image policy "$QT_DIR/policy.ini"
	qt_boot policy --append lockdown=integrity
	run vm_wait_for -t 90 denier learner keeper locked
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q 'require: every required kernel feature is there' "$VM/console.log"
	json=$(vm_status_json)
	[[ $json == *'"require": {"required": ["cgroup2", "landlock", "seccomp", "lockdown=integrity", "nftables"], "found": {"cgroup2": true, "landlock": '[1-9]*', "seccomp": true, "lockdown": "integrity", "nftables": true}, "met": true, "unmet": null}'* ]]

	# the denied mount: named with the service, counted
	wait_console 'denier: seccomp denied mount \(165\)' 30
	for _ in $(seq 1 50); do
		[[ $(vm_ctl status --json denier) == *'"seccomp_denials": 2}'* ]] && break
		sleep 0.2
	done
	[[ $(vm_ctl status --json denier) == *'"seccomp_denials": 2}'* ]]
	# a learning service is not denied anything
	[[ $(vm_ctl status --json learner) == *'"seccomp_denials": 0}'* ]]

	# Landlock in the guest's kernel
	run vm_ctl logs locked
	[[ $output == *"locked: comm-denied"* ]]
	[[ $(vm_ctl status --json locked) =~ \"landlock\":\ [1-9] ]]

	# learn -> profile
	vm_ctl seccomp-profile learner >"$QT_DIR/learned.profile"
	cat "$QT_DIR/learned.profile"
	grep -qx 'default errno' "$QT_DIR/learned.profile"
	for call in execve write openat getdents64 exit_group clone wait4; do
		grep -qx "$call" "$QT_DIR/learned.profile"
	done
	# the call of ionice(1), which the strict service makes and the learner never did
	refute grep -qx ioprio_set "$QT_DIR/learned.profile"
	run vm_ctl seccomp-profile denier
	[ "$status" -eq 1 ]
	[[ $output == *"denier does not run with seccomp = learn"* ]]

	# -> the profile into the guest, and a service that runs under it added by a reload
	vm_ctl exec keeper -- sh -c 'cat >/etc/nucleus/learned.profile' <"$QT_DIR/learned.profile"
	cat >"$QT_DIR/strict.ini" <<'INI'

[service.strict]
seccomp = /etc/nucleus/learned.profile
exec = /bin/sh -c 'ls /; ionice -c 3 true || echo ionice-denied; exec sleep 1000'
INI
	vm_ctl exec keeper -- sh -c 'cat >>/etc/nucleus/manifest.ini' <"$QT_DIR/strict.ini"
	run vm_ctl reload
	echo "$output"
	[[ $output == *"reload: 1 added"* ]]
	for _ in $(seq 1 50); do
		vm_ctl logs strict | grep -q ionice-denied && break
		sleep 0.2
	done
	run vm_ctl logs strict
	echo "$output"
	# what the learner did works (ls lists /); ionice(1)'s call, never seen, is denied and logged
	[[ $output == *"strict: sbin"* ]]
	[[ $output == *"strict: ionice-denied"* ]]
	wait_console 'strict: seccomp denied ioprio_set \(251\)' 30
	vm_poweroff 60
	[ "$VM_STATUS" -eq 0 ]
}

@test "policy: require unmet (cgroups off, no lockdown) powers the guest off before any service starts, saying why" {
	cat >"$QT_DIR/unmet.ini" <<'INI'
[system]
require = cgroup2 lockdown=integrity seccomp

[service.never]
isolate = no
exec = /bin/sh -c 'echo "never: I started"; exec sleep 1000'
INI
	qt_image unmet "$QT_DIR/unmet.ini"
	qt_boot unmet --append nucleus.cgroups=no
	vm_wait 90
	cat "$VM/console.log" | tail -20
	grep -q 'require: not met: cgroup2: .*; lockdown=integrity: none; powering off before any service starts' "$VM/console.log"
	refute grep -q 'I started' "$VM/console.log"
	grep -q 'reboot: Power down' "$VM/console.log"
}
