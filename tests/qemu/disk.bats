#!/usr/bin/env bats
# A disk (mkfs.ext4 on the host) mounted by [mount.data]: a service writes
# records and syncs, the guest powers off, and the file system is clean with
# every record in it.

load helpers

setup_file() { qt_setup_file; }
teardown_file() { qt_teardown_file; }
teardown() { qt_teardown; }

@test "disk: records written to an ext4 [mount.*] survive power-off; e2fsck is clean" {
	disk=$QT_DIR/data.img
	truncate -s 64M "$disk"
	mkfs.ext4 -q -F -L data "$disk"
	cat >"$QT_DIR/disk.ini" <<'INI'
[system]
hostname = disk
modules = virtio_pci virtio_blk ext4 crc32c_generic

[mount.data]
what = /dev/vda
where = /data
type = ext4
options = noatime

[service.writer]
; 200 records, each followed by a sync; then power off from inside
type = oneshot
volumes = /data:/data:rw
exec = /bin/sh -c 'i=0; while [ $i -lt 200 ]; do i=$((i+1)); echo "record $i" >>/data/records; sync; done; echo "wrote $i records"'

[service.off]
type = oneshot
isolate = no
after = writer
exec = /sbin/nucleusctl poweroff
INI
	qt_image disk "$QT_DIR/disk.ini"
	qt_boot disk -d "$disk"
	wait_console 'mounted /dev/vda on /data' 60
	wait_console 'writer: wrote 200 records' 60
	vm_wait 30
	[ "$VM_STATUS" -eq 0 ]
	grep -q 'unmounted /data' "$VM/console.log"
	run e2fsck -fn "$disk"
	echo "$output"
	[ "$status" -eq 0 ]
	debugfs -R 'cat /records' "$disk" 2>/dev/null >"$QT_DIR/records"
	[ "$(wc -l <"$QT_DIR/records")" -eq 200 ]
	for i in 1 2 100 199 200; do grep -qx "record $i" "$QT_DIR/records"; done
	[ "$(sort -u "$QT_DIR/records" | wc -l)" -eq 200 ]
}
