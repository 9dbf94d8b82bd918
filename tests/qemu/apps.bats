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
	! grep -q 'is blank' "$VM/console.log"
	run redis-cli -h 127.0.0.1 -p "$PORT" GET greeting
	[ "$output" = "kept across a reboot" ]
	vm_poweroff 60
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
	INI
	# an isolated service sees /usr, not /opt: mkimage says so
	run "$QT_ROOT/image/mkimage" -m "$QT_DIR/prog.ini" -o "$QT_DIR/x.cpio.gz" -b "$d/bin/greet:/opt/greet"
	[ "$status" -ne 0 ]
	[[ $output == *"/usr/local/bin/greet is not in the image"* ]]
	# the program's $ORIGIN runpath is kept: its library goes beside it
	qt_image prog "$QT_DIR/prog.ini" -b "$d/bin/greet"
	grep -q 'library /usr/local/lib/libgreet.so.1' "$QT_DIR/prog.mkimage.log"
	qt_boot prog -d new:16M:ext4
	run vm_wait_for -t 60 greet
	[ "$status" -eq 0 ]
	grep -q 'mounted LABEL=disk0 (/dev/vda) on /scratch' "$VM/console.log"
	for _ in $(seq 1 50); do
		vm_ctl logs greet | grep -q 'hello from libgreet' && break
		sleep 0.2
	done
	vm_ctl logs greet | grep -q 'hello from libgreet'
	vm_poweroff 60
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
