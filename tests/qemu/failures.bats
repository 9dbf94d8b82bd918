#!/usr/bin/env bats
# Failures in a real guest: a crash-looping service ends up failed while the
# rest runs; a critical service's failure reboots the machine.

load helpers

setup_file() { qt_setup_file; }
teardown_file() { qt_teardown_file; }
teardown() { qt_teardown; }

@test "a crash-looping service is restarted with back-off, then failed; the guest keeps running" {
	cat >"$QT_DIR/loop.ini" <<'INI'
[system]
hostname = loop

[service.crasher]
exec = /bin/sh -c 'echo "crash"; exit 7'
restart_delay = 100ms
start_limit = 4/60s

[service.steady]
exec = /bin/sh -c 'while :; do sleep 1; done'

[service.off]
isolate = no
; once crasher is failed: show the status, then power off
exec = /bin/sh -c 'until nucleusctl status crasher | grep -q failed; do sleep 0.3; done; nucleusctl status; nucleusctl poweroff'
restart = never
INI
	qt_image loop "$QT_DIR/loop.ini"
	qt_boot loop
	wait_console 'crasher: exited with status 7; restarting in 100ms' 60
	wait_console 'crasher: exited with status 7; restarting in 200ms' 20
	wait_console 'crasher: .*start limit hit' 30
	wait_console 'off: crasher +failed ' 30
	grep -qE 'off: steady +ready ' "$VM/console.log"
	vm_wait 30
	[ "$VM_STATUS" -eq 0 ]
}

@test "a critical service's failure reboots the guest" {
	cat >"$QT_DIR/crit.ini" <<'INI'
[system]
hostname = crit

[service.vital]
exec = /bin/sh -c 'sleep 1; echo "vital is dying"; exit 1'
critical = yes
restart_delay = 100ms
start_limit = 2/60s

[service.steady]
exec = /bin/sh -c 'while :; do sleep 1; done'
INI
	qt_image crit "$QT_DIR/crit.ini"
	qt_boot crit
	wait_console 'vital: vital is dying' 60
	vm_wait 40
	grep -q 'critical service vital failed' "$VM/console.log"
	grep -q 'reboot: Restarting system' "$VM/console.log"
	grep -q 'REBOOT' "$VM/run.log"
	[ "$VM_STATUS" -eq 3 ]
}

@test "the hardware watchdog is fed past its timeout and disarmed on a clean poweroff; coldplug = no loads nothing" {
	cat >"$QT_DIR/wdog.ini" <<'INI'
[system]
hostname = wdog
; only what modules names: no coldplug, so eth0 gets no driver
coldplug = no
modules = i6300esb
watchdog = /dev/watchdog
watchdog_interval = 1s

[service.later]
isolate = no
; outlive the watchdog's 6 s timeout twice, then power off
exec = /bin/sh -c 'test -d /sys/module/virtio_net || echo "no virtio_net"; nucleusctl status --json | grep -o "\"coldplug_ms\": [a-z0-9]*"; sleep 13; echo "still alive"; nucleusctl poweroff'
restart = never
INI
	qt_image wdog "$QT_DIR/wdog.ini"
	qt_boot wdog
	wait_console 'watchdog /dev/watchdog: timeout 6s, ping every 1s' 60
	wait_console 'later: still alive' 40
	vm_wait 30
	# an unfed i6300esb resets the guest: qemu/run would say 4 (reset)
	[ "$VM_STATUS" -eq 0 ]
	# coldplug = no: nothing loaded for the devices
	grep -q 'later: no virtio_net' "$VM/console.log"
	grep -q 'later: "coldplug_ms": null' "$VM/console.log"
	refute grep -q 'coldplug:' "$VM/console.log"
}
