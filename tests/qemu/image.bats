#!/usr/bin/env bats
# image/mkimage without booting: refusal of a bad manifest, reproducibility,
# what an image holds.

load helpers

setup_file() { qt_setup_file; }
teardown_file() { qt_teardown_file; }

@test "mkimage refuses an invalid manifest and shows the errors" {
	cat >"$QT_DIR/bad.ini" <<'INI'
[system]
hostname = bad

[service.web]
exec = /usr/sbin/httpd -f
restart = sometimes
INI
	run -1 "$QT_ROOT/image/mkimage" -m "$QT_DIR/bad.ini" -o "$QT_DIR/bad.cpio.gz"
	[[ $output == *"refusing the invalid manifest"* ]]
	[[ $output == *"bad.ini:6: web: restart"* ]]
	[ ! -e "$QT_DIR/bad.cpio.gz" ]
}

@test "mkimage is reproducible: the same inputs give the same bytes" {
	qt_image a "$QT_ROOT/conf/demo.ini"
	qt_image b "$QT_ROOT/conf/demo.ini"
	cmp "$QT_DIR/a.cpio.gz" "$QT_DIR/b.cpio.gz"
	SOURCE_DATE_EPOCH=1 qt_image c "$QT_ROOT/conf/demo.ini"
	run ! cmp -s "$QT_DIR/a.cpio.gz" "$QT_DIR/c.cpio.gz"
}

@test "an image holds init, the manifest, busybox, /dev/console and the modules with their deps" {
	printf 'hello\n' >"$QT_DIR/extra.txt"
	qt_image d "$QT_ROOT/conf/demo.ini" -f "$QT_DIR/extra.txt:/srv/extra.txt"
	grep -q 'compressed' "$QT_DIR/d.mkimage.log"
	run --separate-stderr bash -c "zcat '$IMG' | cpio -itv --quiet"
	[ "$status" -eq 0 ]
	grep -qE '^-rwxr-xr-x .* root +root .* sbin/nucleus-init$' <<<"$output"
	grep -qE '^l.* init -> sbin/nucleus-init$' <<<"$output"
	grep -qE '^l.* sbin/nucleusctl -> nucleus-init$' <<<"$output"
	# the manifest holds env= values: for root only
	grep -qE '^-rw------- .* etc/nucleus/manifest.ini$' <<<"$output"
	grep -qE ' bin/busybox$' <<<"$output"
	grep -qE '^l.* usr/sbin/httpd -> ../../bin/busybox$' <<<"$output"
	grep -qE '^crw------- .* 5, +1 .* dev/console$' <<<"$output"
	grep -qE '^crw-rw-rw- .* 1, +3 .* dev/null$' <<<"$output"
	grep -qE ' etc/passwd$' <<<"$output"
	grep -qE ' srv/extra.txt$' <<<"$output"
	grep -qE '/virtio_net\.ko$' <<<"$output"
	grep -qE '/net_failover\.ko$' <<<"$output"  # a dependency of virtio_net
	grep -qE '/modules\.dep$' <<<"$output"
	# no user or group but root, one mtime
	[ "$(grep -cvE ' root +root ' <<<"$output")" -eq 0 ]
}

@test "--no-busybox leaves busybox out and gives a smaller image" {
	qt_image full "$QT_ROOT/conf/demo.ini"
	full=$(stat -c %s "$IMG")
	# the demo's services need busybox's sh and httpd: mkimage says so
	run "$QT_ROOT/image/mkimage" -m "$QT_ROOT/conf/demo.ini" -o "$QT_DIR/x.cpio.gz" --no-busybox
	[ "$status" -ne 0 ]
	[[ $output == *"service web: exec: /usr/sbin/httpd is not in the image"* ]]
	printf '[service.v]\ntype = oneshot\nexec = /sbin/nucleus-init --version\n' >"$QT_DIR/nobb.ini"
	qt_image small "$QT_DIR/nobb.ini" --no-busybox
	small=$(stat -c %s "$IMG")
	[ "$small" -lt "$full" ]
	[ "$(zcat "$IMG" | cpio -it --quiet | grep -c busybox)" -eq 0 ]
}
