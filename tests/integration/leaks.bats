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
	etc_teardown
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
	outputs_written
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

# The host's /etc as a default root service sees it. ETC_T is a directory
# of the host's /etc made for the test: the manifest lives there (world
# readable), with a 0600 file, a secret source and an env_file (0644 both).
etc_setup() {
	ETC_T=/etc/nucleus-test-$$-$BATS_TEST_NUMBER
	mkdir -m 755 "$ETC_T"
	echo closed-to-others >"$ETC_T/private" && chmod 600 "$ETC_T/private"
	echo the-secret >"$ETC_T/token" && chmod 644 "$ETC_T/token"
	echo "K=$A$B" >"$ETC_T/env" && chmod 644 "$ETC_T/env"
	M=$ETC_T/manifest.ini
}

etc_teardown() {
	[ -n "${ETC_T:-}" ] && rm -rf "$ETC_T"
	return 0
}

# A probe of every path that must be closed and every one that must stay open.
etc_probe_service() { # NAME [EXTRA KEY LINES]
	cat <<-EOS
		[service.$1]
		exec = /bin/sh -c "for f in $M /etc/shadow /etc/gshadow $ETC_T/private $ETC_T/token $ETC_T/env /etc/passwd /etc/group /etc/hosts /etc/nsswitch.conf /etc/localtime /etc/os-release /run/secrets/tok; do if head -c1 \$f >/dev/null 2>&1; then echo open \$f; else echo closed \$f; fi; done; if l=\$(ls -A /etc/ssl/private 2>/dev/null); then [ -z \"\$l\" ] && echo empty ssl-private || echo open ssl-private; else echo closed ssl-private; fi; id; cat /run/secrets/tok; openssl verify /usr/share/ca-certificates/mozilla/ISRG_Root_X1.crt; python3 -c 'import ssl; print(\"cas\", ssl.create_default_context().cert_store_stats()[\"x509_ca\"])'"
		type = oneshot
		secrets = $ETC_T/token:tok
		env_file = $ETC_T/env
		stdout = file:$T/$1.out
		stderr = file:$T/$1.err
		${2:-}
	EOS
}

etc_assert() { # NAME [SSL-PRIVATE: closed, or closed|empty for DAC_READ_SEARCH]
	local f=$T/$1.out
	cat "$f" "$T/$1.err"
	for p in "$M" /etc/shadow /etc/gshadow "$ETC_T/private" "$ETC_T/token" "$ETC_T/env"; do
		grep -qx "closed $p" "$f"
	done
	# a directory closed to others: unreadable, or (DAC_READ_SEARCH) empty
	grep -qxE "(${2:-closed}) ssl-private" "$f"
	for p in /etc/passwd /etc/group /etc/hosts /etc/nsswitch.conf /etc/localtime \
		/etc/os-release /run/secrets/tok; do
		grep -qx "open $p" "$f"
	done
	grep -q '^uid=0(root) gid=0(root)' "$f"
	# the copy of the secret is there, though its source is closed
	grep -qx the-secret "$f"
	# a TLS client finds the system's CA certificates
	grep -q ': OK$' "$f"
	grep -qE '^cas [1-9][0-9]*$' "$f"
}

etc_test() { # extra nucleus-init environment: "" or "NUCLEUS_NO_IDMAP=1"
	mkdir -m 777 "$T/out"
	etc_setup
	{
		etc_probe_service look
		etc_probe_service dac "capabilities = DAC_OVERRIDE DAC_READ_SEARCH"
	} | write_manifest
	chmod 644 "$M"
	if [ -n "$1" ]; then
		NUC_INIT="env $1 $NUC_INIT" nuc_start
	else
		nuc_start
	fi
	wait_for_state look exited 15
	wait_for_state dac exited 15
	etc_assert look
	etc_assert dac 'closed|empty'
}

@test "/etc: the manifest, shadow, secret and env_file sources and 0600 files are closed to a root service; passwd, hosts, CA certificates stay open (idmapped /etc)" {
	etc_test ""
	refute grep -q 'closed entries are covered' "$LOG"
}

@test "/etc: the same where /etc is walked and covered instead of idmapped" {
	etc_test NUCLEUS_NO_IDMAP=1
}

@test "/etc walked: a 0600 file made after boot is closed to the services started after it" {
	etc_setup
	mkdir -m 777 "$T/out"
	{
		cat <<-EOS
			[service.later]
			exec = /bin/sh -c "cat $ETC_T/late || echo closed"
			type = oneshot
			stdout = file:$T/later.out
			stderr = null
		EOS
	} | write_manifest
	echo open-at-first >"$ETC_T/late"
	chmod 644 "$ETC_T/late"
	NUC_INIT="env NUCLEUS_NO_IDMAP=1 $NUC_INIT" nuc_start
	wait_for_state later exited 10
	outputs_written
	[ "$(tail -1 "$T/later.out")" = open-at-first ]
	chmod 600 "$ETC_T/late"
	echo now-closed >"$ETC_T/late"
	ctl restart later
	wait_for_state later exited 10
	outputs_written
	cat "$T/later.out"
	[ "$(tail -1 "$T/later.out")" = closed ]
}
