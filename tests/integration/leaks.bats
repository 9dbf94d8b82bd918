#!/usr/bin/env bats
# Nothing of PID 1 or the host leaks into a service (issue 11). One
# service holds a marker in its env=; others look for it by every route an
# attacker inside a default service has: the memory, environ and cmdline of
# every process they can see (their namespace's init, their exec probes),
# with and without capabilities = KILL, and the host's /etc.

load ../lib/common

setup() {
	nuc_setup
	NB=$(dirname "$NHELPER")
	VOL="$NB:/nuc"
	# the marker in two halves: only PID 1's copy of victim's env= holds it whole
	A=LeakMarker$RANDOM
	B=x$RANDOM$RANDOM
}

teardown() {
	nuc_teardown
}

# A spy that scans for SECS while exec probes of its own come and go.
spy_section() { # NAME SECS [EXTRA KEY LINES]
	cat <<-EOS
		[service.$1]
		exec = /bin/sh -c "/nuc/nhelper scan $A $B $2 >/out/$1.out; exec sleep 1000"
		volumes = $VOL $T/out:/out:rw
		health = exec:/bin/true
		health_interval = 100ms
		health_timeout = 2s
		${3:-}
	EOS
}

scan_result() { # NAME
	wait_until 30 grep -q '^scanned:' "$T/out/$1.out"
	cat "$T/out/$1.out"
	refute grep -q FOUND "$T/out/$1.out"
	grep -q ', 0 found$' "$T/out/$1.out"
}

# processes the scan saw besides itself: its init, its shell, and probes
scan_saw() { # NAME MIN
	local n
	n=$(sed -nE 's/^scanned: [0-9]+ rounds, ([0-9]+) processes seen.*/\1/p' "$T/out/$1.out")
	[ "${n:-0}" -ge "$2" ]
}

@test "exec probes hold nothing of PID 1: another service's env is in no process a service sees" {
	mkdir -m 777 "$T/out"
	{
		cat <<-EOS
			[service.victim]
			exec = /bin/sleep 1000
			env = TOKEN=$A$B
		EOS
		spy_section spy 6
	} | write_manifest
	nuc_start
	wait_for_state spy ready 10
	scan_result spy
	# the probes really ran, and the scan saw them come and go
	[ "$(svc_get spy health)" = healthy ]
	scan_saw spy 4
}

@test "nucleus-ns-init holds nothing of PID 1, even for a service with capabilities = KILL" {
	mkdir -m 777 "$T/out"
	{
		cat <<-EOS
			[service.victim]
			exec = /bin/sleep 1000
			env = TOKEN=$A$B
			[service.look]
			exec = /bin/sh -c "tr '\\\\0' ' ' </proc/1/cmdline; echo; wc -c </proc/1/environ; cat /proc/1/maps | wc -l"
			type = oneshot
			capabilities = KILL
			stdout = file:$T/look.out
			stderr = file:$T/look.err
		EOS
		spy_section spykill 6 "capabilities = KILL"
	} | write_manifest
	nuc_start
	wait_for_state look exited 10
	cat "$T/look.out" "$T/look.err"
	# its command line is its own, not PID 1's (no manifest, no runtime dir)
	[ "$(head -1 "$T/look.out")" = "nucleus-ns-init look " ]
	refute grep -q "$M\|$RUN" "$T/look.out"
	# its environment and its memory are closed even to a holder of CAP_KILL
	grep -q 'cannot open /proc/1/environ: Permission denied' "$T/look.err"
	grep -q '/proc/1/maps: Permission denied' "$T/look.err"
	scan_result spykill
	scan_saw spykill 4
}
