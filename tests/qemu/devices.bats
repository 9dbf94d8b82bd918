#!/usr/bin/env bats
# Devices without a modules line. Boot A: coldplug loads the drivers of what
# qemu/run attaches (eth0, two disks, the power button, the i6300esb
# watchdog); an ext4 disk is mounted by LABEL= and serves a page over eth0,
# a vfat one by UUID=; a mount whose device never comes fails after
# device_timeout while the services that do not need it run; the power
# button powers off cleanly. Boot B: a guest with no disk gets one hot-added
# over QMP; its driver is loaded then, and the waiting mount and the service
# that needs it go on.

load helpers

setup_file() {
	qt_setup_file
	mkdir -p "$QT_DIR/www"
	echo 'served from the disk labelled appdata' >"$QT_DIR/www/index.html"
	truncate -s 32M "$QT_DIR/app.img"
	mkfs.ext4 -q -F -L appdata -d "$QT_DIR/www" "$QT_DIR/app.img"
	truncate -s 16M "$QT_DIR/fat.img"
	mkfs.vfat -n SCRATCH -i 2024C0DE "$QT_DIR/fat.img" >/dev/null
	cat >"$QT_DIR/devices.ini" <<'INI'
[system]
hostname = devices
; no modules line: coldplug finds virtio_pci, virtio_net, virtio_blk, button,
; evdev and i6300esb itself
watchdog = /dev/watchdog
watchdog_interval = 1s
device_timeout = 4s

[interface.eth0]
address = 10.0.2.15/24
gateway = 10.0.2.2

[mount.app]
what = LABEL=appdata
where = /srv/app
type = ext4
options = ro

[mount.scratch]
what = UUID=2024-c0de
where = /scratch
type = vfat

[mount.ghost]
; no disk has this label: waits device_timeout, then fails
what = LABEL=never-there
where = /ghost
type = ext4

[mount.inner]
; inside [mount.outer], listed first: it waits for it, and is mounted once
; outer is given up (outer is not required)
what = tmpfs
where = /nest/in/
type = tmpfs

[mount.outer]
what = LABEL=also-never
where = /nest
type = ext4
required = no

[service.web]
exec = /usr/sbin/httpd -f -p 80 -h /www
volumes = /srv/app:/www
capabilities = NET_BIND_SERVICE
ready = tcp:127.0.0.1:80

[service.fat]
type = oneshot
volumes = /scratch:/scratch:rw
exec = /bin/sh -c 'echo written >/scratch/note && echo "FAT $(cat /scratch/note)"'
stdout = console

[service.ghostly]
; its volume is under the mount that never comes: it must fail with it
volumes = /ghost:/data
exec = /bin/sleep 600

[service.outlive]
; outlive the watchdog's 6 s timeout (an unfed i6300esb resets the guest),
; then show the devices part of `nucleusctl status`
type = oneshot
isolate = no
exec = /bin/sh -c 'sleep 8; echo "outlived the watchdog"; nucleusctl status | grep -E "^(coldplug|mount|interface)" | sed "s/^/TABLE /"'
stdout = console
INI
	qt_image devices "$QT_DIR/devices.ini"
	qt_free_port
	export PORT IMG
	qt_boot devices -p "$PORT:80" -d "$QT_DIR/app.img" -d "$QT_DIR/fat.img"
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

@test "devices: coldplug loads the drivers; eth0 and a disk by LABEL= serve a page" {
	# the ghost mount's failure must not end the waits below
	export WAIT_FAIL_RE='Kernel panic - not syncing'
	wait_console 'coldplug: [0-9]+ modules for [0-9]+ devices' 60
	for m in virtio_pci virtio_net virtio_blk button evdev i6300esb; do
		grep -E 'coldplug: .*modules' "$VM/console.log" | grep -qw "$m"
	done
	wait_console 'interface eth0 configured' 10
	wait_console 'mounted LABEL=appdata \(/dev/vd[a-z]\) on /srv/app \(ext4\)' 30
	wait_http "$PORT" / 'served from the disk labelled appdata' 60
	wait_console 'watchdog /dev/watchdog: timeout [0-9]+s, ping every 1s' 10
}

@test "devices: a vfat disk by UUID= (its driver and code pages loaded on demand)" {
	export WAIT_FAIL_RE='Kernel panic - not syncing'
	wait_console 'mounted UUID=2024-c0de \(/dev/vd[a-z]\) on /scratch \(vfat\)' 30
	wait_console 'FAT written' 30
}

@test "devices: a mount whose device never comes fails after device_timeout; the rest runs" {
	export WAIT_FAIL_RE='Kernel panic - not syncing'
	wait_console 'mount.ghost.: LABEL=never-there is not there yet; waiting up to 4.0s' 30
	wait_console 'mount.ghost.: mount LABEL=never-there on /ghost \(ext4\): no device has LABEL=never-there \(waited 4.0s\)' 30
	wait_state ghostly failed 30
	# the failure names the mount; web kept serving all along
	wait_status '"name": "ghostly".*"error": "dependency \[mount.ghost\] failed"' 10
	wait_state web ready 10
	wait_http "$PORT" / 'served from the disk labelled appdata' 30
	# the status names each mount's state and device
	for _ in $(seq 1 50); do
		json=$(vm_status_json)
		grep -q '"state": "failed", "error": "mount LABEL=never-there' <<<"$json" && break
		sleep 0.2
	done
	echo "$json"
	grep -qE '"name": "ghost", "what": "LABEL=never-there", "where": "/ghost", "type": "ext4", "device": null, "state": "failed", "error": "[^"]*no device has LABEL=never-there' <<<"$json"
	grep -qE '"name": "app", "what": "LABEL=appdata", "where": "/srv/app", "type": "ext4", "device": "/dev/vd[a-z]", "state": "mounted"' <<<"$json"
	grep -qE '"interfaces": \[\{"name": "eth0", "state": "configured", "error": null\}\]' <<<"$json"
	grep -qE '"coldplug_ms": [0-9]+, "coldplug_modules": \[[^]]*"virtio_net"' <<<"$json"
	# and the boot did not stop for it
	refute grep -q 'boot stopped' "$VM/console.log"
	# a mount inside a waiting one waits for it, whatever the order in the
	# file, and is tried once that one is given up
	grep -q 'mount.inner.: waits for .mount.outer., which /nest/in goes into' "$VM/console.log"
	wait_console 'mounted tmpfs on /nest/in \(tmpfs\)' 10
	[ "$(line_of 'mount.outer.: mount LABEL=also-never on /nest')" -lt "$(line_of 'mounted tmpfs on /nest/in')" ]
	refute grep -q 'mount.inner.: mount' "$VM/console.log"
}

@test "devices: the watchdog is fed, and the power button powers off cleanly" {
	export WAIT_FAIL_RE='Kernel panic - not syncing'
	wait_console 'outlived the watchdog' 40
	# the status table has a line for coldplug and for each mount and interface
	wait_console 'TABLE interface eth0: configured' 20
	grep -qE 'TABLE coldplug: [0-9]+ modules in [0-9]+ms: .*virtio_net' "$VM/console.log"
	grep -qE 'TABLE mount app: mounted LABEL=appdata on /srv/app' "$VM/console.log"
	grep -qE 'TABLE mount ghost: failed LABEL=never-there on /ghost: mount LABEL=never-there on /ghost \(ext4\): no device has LABEL=never-there' "$VM/console.log"
	vm_powerdown
	vm_wait 60
	# 4 would be the watchdog's reset
	[ "$VM_STATUS" -eq 0 ]
	grep -q 'unmounted /srv/app' "$VM/console.log"
	grep -q 'unmounted /scratch' "$VM/console.log"
}

@test "hotplug: the control port, a disk, a network card and a broken driver's device added over QMP to a running guest" {
	vm_kill
	truncate -s 32M "$QT_DIR/late.img"
	mkdir -p "$QT_DIR/late"
	echo 'hello from a hot-added disk' >"$QT_DIR/late/hello.txt"
	mkfs.ext4 -q -F -L late -d "$QT_DIR/late" "$QT_DIR/late.img"
	: >"$QT_DIR/empty.ko"
	cat >"$QT_DIR/hotplug.ini" <<'INI'
[system]
hostname = hotplug
log_level = debug
device_timeout = 120s

[interface.eth1]
; a network card that is not there at boot
address = 10.0.3.15/24

[mount.late]
what = LABEL=late
where = /late
type = ext4

[service.reader]
; waits for the mount its volume lies under
type = oneshot
volumes = /late:/late
exec = /bin/sh -c 'echo "READER $(cat /late/hello.txt) from $(grep " /late " /proc/mounts | cut -d" " -f1)"'
stdout = console
INI
	# virtio_rng shipped as an empty file: its load must fail, and say so
	kver=$(cat "$QT_ROOT/build/kernel/VERSION")
	qt_image hotplug "$QT_DIR/hotplug.ini" -M virtio_rng \
		-f "$QT_DIR/empty.ko:lib/modules/$kver/kernel/drivers/char/hw_random/virtio-rng.ko"
	# no control port at boot: it comes by hotplug below, driver and all
	VM_NO_CTL=1 qt_boot hotplug
	wait_console 'mount.late.: LABEL=late is not there yet' 60
	wait_console 'interface.eth1.: no link eth1 yet; waiting up to 120.0s' 10
	refute grep -q 'control port' "$VM/console.log"
	qmp chardev-add "{\"id\":\"ctl1\",\"backend\":{\"type\":\"socket\",\"data\":{\"addr\":{\"type\":\"unix\",\"data\":{\"path\":\"$VM/port.sock\"}},\"server\":true,\"wait\":false}}}"
	qmp device_add '{"driver":"virtio-serial-pci","id":"vser1"}'
	qmp device_add '{"driver":"virtserialport","bus":"vser1.0","chardev":"ctl1","name":"org.nucleus.ctl","id":"port1"}'
	wait_console 'control port org.nucleus.ctl on /dev/vport[0-9]+p1' 30
	grep -q 'hotplug: module virtio_console loaded' "$VM/console.log"
	"$NUCLEUSCTL" mux "$VM/port.sock" "$VM/ctl.sock" &
	wait_state reader waiting 30
	# no disk yet, so no virtio_blk: coldplug had nothing to load it for
	# shellcheck disable=SC2016 # the inner script gets its own arguments
	refute bash -c 'grep -E "coldplug: .*modules" "$1" | grep -qw virtio_blk' _ "$VM/console.log"

	# a disk: its driver is loaded now, the mount and its service go on
	qmp blockdev-add "{\"driver\":\"raw\",\"node-name\":\"late0\",\"file\":{\"driver\":\"file\",\"filename\":\"$QT_DIR/late.img\"}}"
	t0=$(date +%s%N)
	qmp device_add '{"driver":"virtio-blk-pci","drive":"late0","id":"late0dev"}'
	wait_console 'mounted LABEL=late \(/dev/vda\) on /late \(ext4\)' 30
	t1=$(date +%s%N)
	echo "# device_add to mounted: $(((t1 - t0) / 1000000)) ms" >&3
	grep -q 'hotplug: module virtio_blk loaded' "$VM/console.log"
	grep -qE 'device added: /devices/.*/block/vda \(block, /dev/vda\)' "$VM/console.log"
	wait_console 'READER hello from a hot-added disk from /dev/vda' 30
	wait_state reader exited 30
	wait_status '"hotplug_modules": \[[^]]*"virtio_blk"' 10

	# a network card: the waiting interface is configured
	qmp netdev_add '{"type":"user","id":"net1"}'
	qmp device_add '{"driver":"virtio-net-pci","netdev":"net1","id":"net1dev"}'
	wait_console 'interface eth1 configured' 30
	wait_status '"name": "eth1", "state": "configured"' 10

	# a device whose driver cannot load: a warning naming the module and the errno
	qmp device_add '{"driver":"virtio-rng-pci","id":"rng0"}'
	wait_console 'warning: hotplug: virtio_rng: load kernel/drivers/char/hw_random/virtio-rng.ko: [A-Za-z ]+ \(for device virtio:d00000004v[0-9A-F]+, errno [0-9]+\)' 30
	# and its removal is logged
	qmp device_del '{"id":"rng0"}'
	wait_console 'device removed: /devices/pci0000:00/[^ ]+ \(pci' 30
	vm_powerdown
	vm_wait 60
	[ "$VM_STATUS" -eq 0 ]
}
