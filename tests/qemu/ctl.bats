#!/usr/bin/env bats
# The host drives the guest through the control port (issue 13): wait,
# status, exec, events, poweroff over `qemu/run --ctl`; the port's host end
# that vanishes mid-request, reconnects, or sends garbage; two guests on one
# private network, driven from Python (qemu/nucleus_vm.py, qemu/runtests).
# One boot is shared by the single-guest tests, in order.

load helpers

setup_file() {
	qt_setup_file
	cat >"$QT_DIR/ctl.ini" <<-'INI'
		[service.web]
		capabilities = NET_BIND_SERVICE
		exec = /usr/sbin/httpd -f -p 80 -h /srv/www
		volumes = /srv/www:/srv/www
		ready = tcp:127.0.0.1:80
		; an exec probe sees the service's root (on an initramfs too): its
		; /proc is the service's, where PID 1 is the namespace's init
		health = exec:/bin/sh -c 'tr "\0" " " </proc/1/cmdline | grep -q "^nucleus-ns-init web"'
		health_interval = 1s

		[service.job]
		type = oneshot
		exec = /bin/sh -c 'sleep 1'

		[service.flappy]
		exec = /bin/sh -c 'sleep 2; exit 3'
		restart_delay = 200ms
	INI
	mkdir -p "$QT_DIR/www"
	echo "hello from the guest" >"$QT_DIR/www/index.html"
	qt_image ctl "$QT_DIR/ctl.ini" -f "$QT_DIR/www/index.html:/srv/www/index.html"
	export IMG
	qt_boot ctl
	export VM
}
teardown_file() {
	vm_kill
	qt_teardown_file
}
teardown() {
	if [ -z "${BATS_TEST_COMPLETED:-}" ]; then
		echo "--- console of $VM:"
		tail -n 60 "$VM/run.log" 2>/dev/null || true
	fi
}

@test "ctl: wait and status --json from the host, event-driven" {
	run vm_wait_for -t 90 web job
	echo "$output"
	[ "$status" -eq 0 ]
	# the first health check comes a second after ready
	for _ in $(seq 1 50); do
		vm_ctl status --json web | grep -q '"health": "healthy"' && break
		sleep 0.2
	done
	json=$(vm_status_json)
	python3 -c '
import json, sys
s = json.loads(sys.argv[1])
st = {x["name"]: x["state"] for x in s["services"]}
assert st["web"] == "ready" and st["job"] == "exited", st
web = next(x for x in s["services"] if x["name"] == "web")
assert web["health"] == "healthy", web
assert s["boot"]["ready_ms"] is not None' "$json"
	# a wait for what never comes ends at its timeout with exit 2
	run vm_ctl wait --timeout 1s --state stopped web
	[ "$status" -eq 2 ]
}

@test "ctl: records over the port: the kernel's boot lines, PID 1's, and logs -f of a service from the host" {
	run vm_ctl logs kernel
	[ "$status" -eq 0 ]
	grep -qE '^[0-9T:.-]+Z kernel: Linux version ' <<<"$output"
	run vm_ctl logs --json -n 1 kernel
	[[ $output == *'"service": "kernel", "stream": "kernel", "priority": '* ]]
	run vm_ctl logs nucleus
	grep -qE 'Z nucleus: web: ready \(pid [0-9]+\)$' <<<"$output"
	# flappy says nothing, so follow what PID 1 says of it: its next exit
	timeout 10 "$NUCLEUSCTL" --connect "$VM/ctl.sock" logs -f nucleus >"$VM/follow" 2>&1 &
	for _ in $(seq 1 60); do
		grep -q 'flappy: exited with status 3' "$VM/follow" 2>/dev/null && break
		sleep 0.2
	done
	grep -q 'flappy: exited with status 3' "$VM/follow"
	kill %1 2>/dev/null || true
}

@test "ctl: exec inside a service from the host: output, exit status, the service's namespaces and identity" {
	run vm_succeed web sh -c 'wget -qO- http://127.0.0.1/; tr "\0" " " </proc/1/cmdline; echo; grep CapEff /proc/self/status'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "hello from the guest" ]
	[ "${lines[1]}" = "nucleus-ns-init web " ]
	[[ ${lines[2]} == *"0000000000000400" ]]
	run vm_ctl exec web -- sh -c 'echo to-err >&2; exit 7'
	[ "$status" -eq 7 ]
	[[ $output == *to-err* ]]
	run vm_ctl exec web -- /no/such
	[ "$status" -eq 125 ]
	echo "piped in" | vm_ctl exec web -- cat >"$BATS_TEST_TMPDIR/in"
	[ "$(cat "$BATS_TEST_TMPDIR/in")" = "piped in" ]
	run vm_ctl exec -t web -- tty
	[[ $output == /dev/pts/0* ]]
}

@test "ctl: events follow a restart, several listeners at once over the one port" {
	vm_ctl events >"$BATS_TEST_TMPDIR/ev1" 2>&1 &
	e1=$!
	vm_ctl events --replay >"$BATS_TEST_TMPDIR/ev2" 2>&1 &
	e2=$!
	# the replaying one shows the boot once it is in
	for _ in $(seq 1 100); do
		grep -q '"stage": "settled"' "$BATS_TEST_TMPDIR/ev2" && break
		sleep 0.1
	done
	grep -q '"event": "boot", "stage": "stage1"' "$BATS_TEST_TMPDIR/ev2"
	run vm_ctl restart web
	[ "$status" -eq 0 ]
	for f in ev1 ev2; do
		for _ in $(seq 1 100); do
			grep -q '"service": "web", "from": "starting", "to": "ready"' "$BATS_TEST_TMPDIR/$f" && break
			sleep 0.1
		done
		grep -E '"service": "web", "from": "stopping", "to": "starting", "exit_status": "SIGTERM"' "$BATS_TEST_TMPDIR/$f"
	done
	# the flapping service's exits are there too, with their status
	for _ in $(seq 1 60); do
		grep -q '"service": "flappy", "from": "ready", "to": "backoff", "exit_status": 3' "$BATS_TEST_TMPDIR/ev1" && break
		sleep 0.1
	done
	grep -q '"service": "flappy", "from": "ready", "to": "backoff", "exit_status": 3' "$BATS_TEST_TMPDIR/ev1"
	kill "$e1" "$e2"
	# the listeners that went away cost nothing: the port still answers
	run vm_ctl status web
	[ "$status" -eq 0 ]
}

@test "ctl: a host end that vanishes mid-request, comes back, and sends garbage; the guest answers the next request" {
	# a client that hangs up in the middle of an exec: its command goes too
	# nucleusctl itself in the background (a function would be a subshell)
	"$NUCLEUSCTL" --connect "$VM/ctl.sock" exec web -- sleep 321 &
	c=$!
	for _ in $(seq 1 100); do
		vm_succeed web sh -c 'cat /proc/[0-9]*/cmdline 2>/dev/null | tr "\0" " "' | grep -q 'sleep 321' && break
		sleep 0.1
	done
	kill -KILL "$c"
	for _ in $(seq 1 100); do
		vm_succeed web sh -c 'cat /proc/[0-9]*/cmdline 2>/dev/null | tr "\0" " "' | grep -q 'sleep 321' || break
		sleep 0.1
	done
	run vm_succeed web sh -c 'cat /proc/[0-9]*/cmdline 2>/dev/null | tr "\0" " "'
	[[ $output != *"sleep 321"* ]]

	# the port's own host end: the mux goes, so the guest sees the host leave
	pkill -f "nucleusctl mux $VM/port.sock" || true
	for _ in $(seq 1 50); do [ -S "$VM/ctl.sock" ] && pgrep -f "mux $VM/port.sock" >/dev/null || break; sleep 0.1; done
	# half a request, then gone
	"$NHELPER" ctl-half "$VM/port.sock"
	# garbage, then a request on a new connection: answered
	run "$NHELPER" ctl-raw "$VM/port.sock" 0 --garbage status web
	echo "$output"
	[[ $output == *"web "*"ready"* ]]
	[ "${lines[-1]}" = "EXIT 0" ]
	# nucleusctl straight on the port (one client at a time), then a mux again
	run "$NUCLEUSCTL" --connect "$VM/port.sock" status job
	echo "$output"
	[ "$status" -eq 0 ]
	# hosts that come and go back to back: the guest driver notes a host's
	# going after the next one's request may have arrived (once lost 1 in 10)
	for i in $(seq 1 30); do
		run "$NHELPER" ctl-raw "$VM/port.sock" 0 status web
		[ "${lines[-1]}" = "EXIT 0" ] || { echo "round $i: $output"; false; }
		run "$NUCLEUSCTL" --connect "$VM/port.sock" status job
		[ "$status" -eq 0 ] || { echo "round $i: $output"; false; }
	done
	rm -f "$VM/ctl.sock"
	"$NUCLEUSCTL" mux "$VM/port.sock" "$VM/ctl.sock" &
	run vm_wait_for -t 30 web
	[ "$status" -eq 0 ]
}

@test "ctl: poweroff over the port powers the guest off cleanly" {
	vm_poweroff 60
	[ "$VM_STATUS" -eq 0 ]
	grep -q 'reboot: Power down' "$VM/console.log"
}

@test "harness: two guests on one private network, one fetches the other's page (Python, qemu/runtests)" {
	export QT_DIR NUCLEUS_INIT
	run "$QT_ROOT/qemu/runtests" -j 1 --log-dir "$QT_DIR/runtests" "$QT_ROOT/tests/qemu/py/two_guests.py"
	echo "$output"
	cat "$QT_DIR/runtests/two_guests.py.log" || true
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == "ok    "*"two_guests.py"* ]]
}
