#!/usr/bin/env bats
# Real applications in appliance images (issue 14): redis-server from its
# Debian package (-p) running as its own system user with ready = notify and
# its data on a disk that formats itself on first boot (mkfs = ext4) and is
# owned by redis (volumes ...:rw,owner); the key the host wrote survives a
# power-off and a second boot. A program built here with a library of its
# own (-b). What mkimage refuses, and that it gives the same bytes twice.
# Packages come from build/debcache (downloaded on first use).

load helpers

setup_file() {
	qt_setup_file
	cat >"$QT_DIR/redis.ini" <<-'INI'
		[system]
		hostname = redis-box

		[interface.eth0]
		address = 10.0.2.15/24
		gateway = 10.0.2.2

		[mount.data]
		what = /dev/vda
		where = /data
		type = ext4
		mkfs = ext4

		[service.redis]
		exec = /usr/bin/redis-server --bind 0.0.0.0 --port 6379 --protected-mode no --dir /var/lib/redis --appendonly yes --supervised systemd
		user = redis
		ready = notify
		volumes = /data/redis:/var/lib/redis:rw,owner
	INI
	qt_image redis "$QT_DIR/redis.ini" -p redis-server
	REDIS_IMG=$IMG
	export REDIS_IMG
}
teardown_file() {
	vm_kill 2>/dev/null || true
	qt_teardown_file
}
teardown() { qt_teardown; }

# json_field JSON EXPR: print(EXPR) with s = the parsed JSON
json_field() {
	python3 -c 'import json, sys; s = json.loads(sys.argv[1]); print(*('"$2"',))' "$1"
}

redis_boot() {
	qt_free_port
	export PORT
	IMG=$REDIS_IMG qt_boot redis -d "$QT_DIR/data.img" -p "$PORT:6379"
	export VM
	run vm_wait_for -t 90 redis
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "apps: -p redis-server: redis runs as its user on a disk it formatted, a key survives a reboot" {
	grep -q '^  -p redis-server ' "$QT_DIR/redis.mkimage.log"
	grep -q 'added to /etc/passwd, /etc/group: .*user redis:' "$QT_DIR/redis.mkimage.log"
	grep -q 'library /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 (libjemalloc2)' "$QT_DIR/redis.mkimage.log"
	size=$(stat -c %s "$REDIS_IMG")
	echo "image: $size bytes"
	[ "$size" -lt $((20 * 1024 * 1024)) ]
	truncate -s 64M "$QT_DIR/data.img"
	redis_boot
	grep -q '\[mount.data\]: /dev/vda is blank' "$VM/console.log"
	# its own user, the one mkimage added, and the data directory is its
	run vm_succeed redis id -un
	[ "$output" = redis ]
	run vm_succeed redis stat -c %U /var/lib/redis
	[ "$output" = redis ]
	run redis-cli -h 127.0.0.1 -p "$PORT" SET greeting "kept across a reboot"
	[ "$output" = OK ]
	vm_poweroff 60
	[ "$VM_STATUS" -eq 0 ]
	# the disk now holds ext4 labelled data
	blkid "$QT_DIR/data.img" | grep -q 'LABEL="data" .*TYPE="ext4"'

	# a disk with a file system is never formatted again: mounted as it is
	redis_boot
	refute grep -q 'is blank' "$VM/console.log"
	run redis-cli -h 127.0.0.1 -p "$PORT" GET greeting
	[ "$output" = "kept across a reboot" ]
	vm_poweroff 60
}

@test "apps: --root-image: redis from a read-only erofs root beside a small initramfs, its blank disk formatted, a key across a reboot" {
	sed -e 's/^hostname = redis-box$/hostname = redis-box\nroot = LABEL=root\nlog_dir = \/data\/log/' \
		-e 's|^what = /dev/vda$|what = /dev/vdb|' \
		-e 's|^gateway = 10.0.2.2$|gateway = 10.0.2.2\ndns = 10.0.2.3|' "$QT_DIR/redis.ini" >"$QT_DIR/redis-root.ini"
	grep -q '^root = LABEL=root$' "$QT_DIR/redis-root.ini"
	qt_image redis-root "$QT_DIR/redis-root.ini" -p redis-server --offline \
		--root-image "$QT_DIR/redis-root.img"
	grep -q 'the root, erofs, .* found by \[system\] root = LABEL=root' "$QT_DIR/redis-root.mkimage.log"
	blkid "$QT_DIR/redis-root.img" | grep -q 'LABEL="root" .*TYPE="erofs"'
	# the initramfs holds what finds the root, not redis
	zcat "$IMG" | cpio -t --quiet >"$QT_DIR/boot.list"
	grep -qx sbin/nucleus-init "$QT_DIR/boot.list"
	grep -q '^lib/modules/.*/erofs.ko$' "$QT_DIR/boot.list"
	refute grep -q redis "$QT_DIR/boot.list"
	[ "$(stat -c %s "$IMG")" -lt $((3 * 1024 * 1024)) ]
	# the same inputs, the same bytes: the root image too
	"$QT_ROOT/image/mkimage" -m "$QT_DIR/redis-root.ini" -o "$QT_DIR/again.cpio.gz" \
		-p redis-server --offline --root-image "$QT_DIR/again.img" >/dev/null
	cmp "$IMG" "$QT_DIR/again.cpio.gz"
	cmp "$QT_DIR/redis-root.img" "$QT_DIR/again.img"

	truncate -s 64M "$QT_DIR/data-root.img"
	qt_free_port
	qt_boot redis-root --root "$QT_DIR/redis-root.img" -d "$QT_DIR/data-root.img" -p "$PORT:6379"
	run vm_wait_for -t 90 redis
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q 'root: LABEL=root (/dev/vda, erofs) mounted read-only and moved into' "$VM/console.log"
	grep -q '\[mount.data\]: /dev/vdb is blank' "$VM/console.log"
	run json_field "$(vm_status_json)" 's["boot"]["root"]["device"], s["boot"]["root"]["type"], s["boot"]["root"]["error"]'
	[ "$output" = "/dev/vda erofs None" ]
	run vm_succeed redis id -un
	[ "$output" = redis ]
	# the root is read-only, so mkimage wrote the resolv.conf stage 1 would have
	refute grep -q 'dns not written' "$VM/console.log"
	run vm_succeed redis cat /etc/resolv.conf
	[[ $output == *"nameserver 10.0.2.3"* ]]
	# the service's / is the image (read-only): redis-server is there, not in the initramfs
	run vm_succeed redis sh -c 'test -x /usr/bin/redis-server && ! touch /usr/x 2>/dev/null && echo ro'
	[ "$output" = ro ]
	run redis-cli -h 127.0.0.1 -p "$PORT" SET greeting "kept on a root image"
	[ "$output" = OK ]
	vm_poweroff 60
	[ "$VM_STATUS" -eq 0 ]
	# the records on the data disk (log_dir): there after the power-off, the file system clean
	e2fsck -fn "$QT_DIR/data-root.img"
	debugfs -R 'cat /log/redis.log' "$QT_DIR/data-root.img" 2>/dev/null >"$QT_DIR/redis.log"
	grep -qE '^[0-9T:.-]+Z redis: .*Ready to accept connections' "$QT_DIR/redis.log"
	debugfs -R 'cat /log/kernel.log' "$QT_DIR/data-root.img" 2>/dev/null | grep -q 'kernel: Linux version'

	qt_boot redis-root --root "$QT_DIR/redis-root.img" -d "$QT_DIR/data-root.img" -p "$PORT:6379"
	run vm_wait_for -t 90 redis
	[ "$status" -eq 0 ]
	refute grep -q 'is blank' "$VM/console.log"
	run redis-cli -h 127.0.0.1 -p "$PORT" GET greeting
	[ "$output" = "kept on a root image" ]
	vm_poweroff 60
	# the second boot's records were added to the first's
	e2fsck -fn "$QT_DIR/data-root.img"
	[ "$(debugfs -R 'cat /log/redis.log' "$QT_DIR/data-root.img" 2>/dev/null | grep -c 'Ready to accept connections')" -eq 2 ]
	# and read on the host by nucleusctl from a copy of the disk's files: both boots, in order
	rm -rf "$QT_DIR/guest-log" && mkdir "$QT_DIR/guest-log"
	debugfs -R "rdump /log $QT_DIR/guest-log" "$QT_DIR/data-root.img" 2>/dev/null
	"$NUCLEUSCTL" logs --dir "$QT_DIR/guest-log/log" redis nucleus >"$QT_DIR/both"
	[ "$(grep -c ' nucleus: nucleus-init .* starting' "$QT_DIR/both")" -eq 2 ]
	[ "$(grep -c ' redis: .*Ready to accept connections' "$QT_DIR/both")" -eq 2 ]
	[ "$(grep -E ' nucleus: nucleus-init .* starting| redis: .*Ready to accept' "$QT_DIR/both" | sed -E 's/^[^ ]+ ([a-z]+):.*/\1/' | tr '\n' ' ')" = "nucleus redis nucleus redis " ]
}

@test "apps: a root image that never comes: the error names it after device_timeout, no service starts, the guest still answers and powers off" {
	cat >"$QT_DIR/noroot.ini" <<-'INI'
		[system]
		root = LABEL=nowhere
		device_timeout = 1s

		[service.sleeper]
		exec = /bin/sleep 1000
	INI
	# squashfs has no label: refused, naming why
	run "$QT_ROOT/image/mkimage" -m "$QT_DIR/noroot.ini" -o "$QT_DIR/x.cpio.gz" \
		--root-image "$QT_DIR/x.img" --root-fs squashfs
	[ "$status" -ne 0 ]
	[[ $output == *"squashfs has no label or UUID"* ]]
	qt_image noroot "$QT_DIR/noroot.ini" --root-image "$QT_DIR/noroot.img"
	blkid "$QT_DIR/noroot.img" | grep -q 'LABEL="nowhere"'
	# booted without its root disk
	qt_boot noroot
	for _ in $(seq 1 100); do
		grep -q 'boot stopped' "$VM/console.log" && break
		sleep 0.2
	done
	grep -q 'root LABEL=nowhere: device: LABEL=nowhere did not appear within device_timeout (1000ms); boot stopped' "$VM/console.log"
	run json_field "$(vm_status_json)" 's["boot"]["root"]["error"], s["services"][0]["state"], s["services"][0]["pid"]'
	[[ $output == *"did not appear within device_timeout"*" None" ]]
	[[ $output != *" running "* ]]
	vm_poweroff 60
	[ "$VM_STATUS" -eq 0 ]
}

@test "apps: -b a program built here, with a library the image would not hold otherwise" {
	d=$QT_DIR/prog
	mkdir -p "$d/lib" "$d/bin"
	cat >"$d/greet.c" <<-'C'
		const char *greeting(void) { return "hello from libgreet"; }
	C
	cat >"$d/main.c" <<-'C'
		#include <stdio.h>
		#include <unistd.h>
		const char *greeting(void);
		int main(void) { puts(greeting()); fflush(stdout); for (;;) pause(); }
	C
	gcc -shared -fPIC -Wl,-soname,libgreet.so.1 -o "$d/lib/libgreet.so.1" "$d/greet.c"
	gcc -o "$d/bin/greet" "$d/main.c" "$d/lib/libgreet.so.1" -Wl,-rpath,"\$ORIGIN/../lib"
	cat >"$QT_DIR/prog.ini" <<-'INI'
		[service.greet]
		exec = /usr/local/bin/greet

		; qemu/run -d new:16M:ext4 below: a fresh disk labelled disk0
		[mount.scratch]
		what = LABEL=disk0
		where = /scratch
		type = ext4

		; a disk that holds another file system: never formatted, whatever mkfs says
		[mount.keep]
		what = /dev/vdb
		where = /keep
		type = ext4
		mkfs = ext4
		required = no
	INI
	truncate -s 8M "$QT_DIR/keep.img"
	mkfs.vfat -n KEEPME "$QT_DIR/keep.img" >/dev/null
	# an isolated service sees /usr, not /opt: mkimage says so
	run "$QT_ROOT/image/mkimage" -m "$QT_DIR/prog.ini" -o "$QT_DIR/x.cpio.gz" -b "$d/bin/greet:/opt/greet"
	[ "$status" -ne 0 ]
	[[ $output == *"/usr/local/bin/greet is not in the image"* ]]
	# the program's $ORIGIN runpath is kept: its library goes beside it
	qt_image prog "$QT_DIR/prog.ini" -b "$d/bin/greet"
	grep -q 'library /usr/local/lib/libgreet.so.1' "$QT_DIR/prog.mkimage.log"
	qt_boot prog -d new:16M:ext4 -d "$QT_DIR/keep.img"
	run vm_wait_for -t 60 greet
	[ "$status" -eq 0 ]
	grep -q 'mounted LABEL=disk0 (/dev/vda) on /scratch' "$VM/console.log"
	wait_console '\[mount.keep\]: mount /dev/vdb on /keep \(ext4\)' 10
	refute grep -q 'vdb is blank' "$VM/console.log"
	for _ in $(seq 1 50); do
		vm_ctl logs greet | grep -q 'hello from libgreet' && break
		sleep 0.2
	done
	vm_ctl logs greet | grep -q 'hello from libgreet'
	vm_poweroff 60
	# the vfat disk is as it was
	blkid "$QT_DIR/keep.img" | grep -q 'LABEL="KEEPME" .*TYPE="vfat"'
}

@test "apps: mkimage refuses an unknown package, an exec not in the image, a dangling -f link; same bytes twice" {
	run "$QT_ROOT/image/mkimage" -m "$QT_DIR/redis.ini" -o "$QT_DIR/x.cpio.gz" -p no-such-package-xyz
	[ "$status" -ne 0 ]
	[[ $output == *"-p no-such-package-xyz: no such Debian package"* ]]
	printf '[service.a]\nexec = /usr/bin/not-here --flag\n' >"$QT_DIR/missing.ini"
	run "$QT_ROOT/image/mkimage" -m "$QT_DIR/missing.ini" -o "$QT_DIR/x.cpio.gz"
	[ "$status" -ne 0 ]
	[[ $output == *"service a: exec: /usr/bin/not-here is not in the image"* ]]
	# a program whose library is not in the image (the file was added by hand)
	cp /usr/bin/redis-cli "$QT_DIR/redis-cli"
	printf '[service.a]\nexec = /usr/bin/rc\n' >"$QT_DIR/nolib.ini"
	run "$QT_ROOT/image/mkimage" -m "$QT_DIR/nolib.ini" -o "$QT_DIR/x.cpio.gz" -f "$QT_DIR/redis-cli:/usr/bin/rc"
	[ "$status" -ne 0 ]
	[[ $output == *"service a: exec: /usr/bin/rc needs the library"*"not in the image"* ]]
	ln -sf /nonexistent/target "$QT_DIR/dangling"
	run "$QT_ROOT/image/mkimage" -m "$QT_DIR/missing.ini" -o "$QT_DIR/x.cpio.gz" -f "$QT_DIR/dangling:/etc/x"
	[ "$status" -ne 0 ]
	[[ $output == *"dangling symlink"* ]]
	# from the cache, twice: the same bytes
	"$QT_ROOT/image/mkimage" -m "$QT_DIR/redis.ini" -o "$QT_DIR/again.cpio.gz" -p redis-server --offline >/dev/null
	cmp "$REDIS_IMG" "$QT_DIR/again.cpio.gz"
}
