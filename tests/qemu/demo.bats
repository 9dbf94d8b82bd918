#!/usr/bin/env bats
# The demo appliance (conf/demo.ini) booted in qemu: every service reaches
# its state, the page answers through the port forward, and the ACPI power
# button (QMP system_powerdown) stops it in reverse order and powers off.

load helpers

setup_file() {
	qt_setup_file
	# the demo plus the reporter and a client of web, which starts after
	# web and so must stop before it
	{
		cat "${QT_DEMO_INI:-$QT_ROOT/conf/demo.ini}"
		printf '\n[service.client]\nafter = web\nexec = /bin/sh -c %s\n' \
			"'while :; do sleep 1; done'"
		# what a service of the guest sees of the image and of its init
		cat <<-'INI'

			[service.leakcheck]
			type = oneshot
			stdout = console
			exec = /bin/sh -c 'if cat /etc/nucleus/manifest.ini >/dev/null 2>&1; then m=open; else m=closed; fi; echo "LEAKCHECK manifest=$m init=$(tr "\0" " " </proc/1/cmdline)tmp=$(grep " /tmp " /proc/self/mountinfo | sed "s/.*size=\([0-9]*k\).*/\1/")"'

			[service.userns]
			; lowering oom_score_adj needs CAP_SYS_RESOURCE: PID 1 writes it
			type = oneshot
			stdout = console
			namespaces = mount pid ipc uts user
			oom_score_adj = -500
			exec = /bin/sh -c 'echo "USERNS uid=$(id -u) oom=$(cat /proc/self/oom_score_adj)"'
		INI
	} >"$QT_DIR/demo.ini"
	qt_image demo "$QT_DIR/demo.ini"
	qt_free_port
	export PORT IMG
	qt_boot demo -p "$PORT:80"
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

@test "demo: nucleus-init runs as PID 1 and every service reaches its state" {
	wait_console 'nucleus-init .* starting \(machine' 60
	wait_state www-init exited 60
	wait_state web ready 60
	wait_status "$(svc_re worker '(ready|backoff|starting)')" 30
	wait_state client ready 30
	# the boot timeline is part of the status
	vm_status_json | grep -qE '"boot": ?\{"kernel_ms": ?[0-9]+'
}

@test "demo: a guest service cannot read the manifest, its PID 1 is nucleus-ns-init, its /tmp has a size" {
	wait_console 'LEAKCHECK ' 60
	grep -a 'LEAKCHECK ' "$VM/console.log"
	grep -aqE 'LEAKCHECK manifest=closed init=nucleus-ns-init leakcheck tmp=65536k' "$VM/console.log"
	wait_console 'USERNS ' 30
	grep -aqE 'USERNS uid=0 oom=-500' "$VM/console.log"
}

@test "demo: the web page answers through the port forward" {
	wait_state web ready 60
	wait_http "$PORT" / 'Hello from nucleus-init' 30
	[[ $HTTP_OUT == "HTTP/1."?" 200"* ]]
	[[ $HTTP_OUT == *"host nucleus-demo"* ]]
}

@test "demo: the worker crashes and is restarted with back-off" {
	wait_console 'worker: crashing' 60
	wait_console 'worker: exited with status 3; restarting in [0-9]+ms' 10
	wait_status '"name": ?"worker", [^}]*"restarts": ?[1-9]' 30
}

@test "demo: system_powerdown stops services in reverse order and qemu exits 0 in the budget" {
	wait_state web ready 60
	local t0 t1
	t0=$(date +%s)
	vm_powerdown
	# shutdown_timeout is 10s; allow the ACPI event and TCG some slack
	vm_wait 25
	t1=$(date +%s)
	echo "powerdown to qemu exit: $((t1 - t0))s"
	[ "$VM_STATUS" -eq 0 ]
	grep -q 'reboot: Power down' "$VM/console.log"
	# the client (after web) stops before web
	r=$(line_of 'nucleus-init: client: stopping')
	w=$(line_of 'nucleus-init: web: stopping')
	[ "$r" -gt 0 ] && [ "$w" -gt 0 ] && [ "$r" -lt "$w" ]
	p=$(line_of 'nucleus-init: poweroff$')
	[ "$p" -gt "$w" ]
}
