#!/usr/bin/env bats
# Owned state directories (issue 14 item 6): `volumes = SRC:DEST:rw,owner`
# makes SRC the service's user's before the bind (created when missing,
# chowned with what is below it), without a chown oneshot holding
# CAP_CHOWN. nucleus-init runs as PID 1 of a fresh PID namespace.

load ../lib/common

setup() {
	nuc_setup
	MNT=
}

teardown() {
	if [ -n "$MNT" ]; then
		umount -l "$MNT" 2>/dev/null || true
	fi
	nuc_teardown
}

owner_of() {
	stat -c %u:%g "$1"
}

@test "owner: a non-root service writes its state dir, made its own with what was in it; a missing one is created 0750" {
	mkdir -p "$T/state/sub"
	echo old >"$T/state/old"
	echo deep >"$T/state/sub/deep"
	write_manifest <<EOF
[service.w]
exec = /bin/sh -c "echo hi >/data/x && echo n >/new/y && id -u"
type = oneshot
user = nobody
volumes = $T/state:/data:rw,owner $T/new:/new:owner
stdout = file:$T/w.out
EOF
	nuc_start
	wait_for_state w exited 10
	outputs_written
	[ "$(svc_get w exit_status)" = 0 ]
	[ "$(cat "$T/w.out")" = 65534 ]
	[ "$(cat "$T/state/x")" = hi ]
	for f in "$T/state" "$T/state/x" "$T/state/old" "$T/state/sub" "$T/state/sub/deep" \
		"$T/new" "$T/new/y"; do
		echo "$f $(owner_of "$f")"
		[ "$(owner_of "$f")" = 65534:65534 ]
	done
	[ "$(stat -c %a "$T/new")" = 750 ]
}

@test "owner=USER:GROUP, owner=USER (its primary group) and owner=UID, whoever the service runs as" {
	mkdir "$T/a" "$T/b"
	write_manifest <<EOF
[service.r]
exec = /bin/sh -c "touch /a/f"
type = oneshot
user = daemon
volumes = $T/a:/a:rw,owner=daemon:adm
volumes = $T/b:/b:owner=www-data,rw
volumes = $T/c:/c:rw,owner=1234
EOF
	nuc_start
	wait_for_state r exited 10
	[ "$(owner_of "$T/a")" = 1:4 ]
	[ "$(owner_of "$T/a/f")" = 1:1 ]
	[ "$(owner_of "$T/b")" = 33:33 ]
	[ "$(owner_of "$T/c")" = 1234:1234 ]
}

@test "owner: a symlink inside is chowned itself, its target is not; another mount inside is left alone" {
	mkdir -p "$T/out" "$T/s/mnt"
	echo secret >"$T/out/target"
	ln -s "$T/out/target" "$T/s/link"
	ln -s "$T/out" "$T/s/dirlink"
	mount -t tmpfs -o size=1m tmpfs "$T/s/mnt"
	MNT=$T/s/mnt
	touch "$T/s/mnt/inside"
	write_manifest <<EOF
[service.l]
exec = /bin/true
type = oneshot
user = nobody
volumes = $T/s:/s:rw,owner
EOF
	nuc_start
	wait_for_state l exited 10
	[ "$(owner_of "$T/s")" = 65534:65534 ]
	[ "$(owner_of "$T/s/link")" = 65534:65534 ]
	[ "$(owner_of "$T/s/dirlink")" = 65534:65534 ]
	[ "$(owner_of "$T/out")" = 0:0 ]
	[ "$(owner_of "$T/out/target")" = 0:0 ]
	[ "$(owner_of "$T/s/mnt")" = 0:0 ]
	[ "$(owner_of "$T/s/mnt/inside")" = 0:0 ]
}

@test "owner: a source already the user's is chowned itself, its contents are not walked again" {
	mkdir "$T/s"
	chown 65534:65534 "$T/s"
	touch "$T/s/keep"
	write_manifest <<EOF
[service.k]
exec = /bin/true
type = oneshot
user = nobody
volumes = $T/s:/s:rw,owner
EOF
	nuc_start
	wait_for_state k exited 10
	[ "$(owner_of "$T/s")" = 65534:65534 ]
	[ "$(owner_of "$T/s/keep")" = 0:0 ]
}

@test "--check: owner with ro is an error at its line; malformed owner options too" {
	write_manifest <<EOF
[service.ok]
exec = /bin/true
volumes = /srv/a:/a:rw,owner /srv/b:/b:owner=nobody:nogroup /srv/c:/c:owner=65534

[service.v]
exec = /bin/true
volumes = /srv/a:/a:ro,owner
EOF
	run "$NUC_INIT" --check --manifest "$M"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"$M:7: v: volumes: "*"options 'ro,owner' of /srv/a: owner makes the source the user's to write: not with ro"* ]]
	[ "$(grep "^$M:[0-9]" <<<"$output" | grep -vc ': warning: ')" -eq 1 ]
	for o in owner,ro rw,ro owner,owner owner= "owner=a b" owner=:adm rw, ,rw owner=x:; do
		printf '[service.v]\nexec = /bin/true\nvolumes = /srv/a:/a:%s\n' "$o" >"$M"
		run "$NUC_INIT" --check --manifest "$M"
		echo "$o: $output"
		[ "$status" -eq 1 ]
		[[ $output == *"$M:3: "* ]]
	done
}

@test "owner: a name that does not resolve fails that service, naming volume and name; the others run" {
	write_manifest <<EOF
[service.bad]
exec = /bin/true
volumes = $T/b:/b:rw,owner=no-such-user
restart = never

[service.badgroup]
exec = /bin/true
volumes = $T/g:/g:rw,owner=nobody:no-such-group
restart = never

[service.badns]
exec = /bin/true
namespaces = mount pid ipc uts user
volumes = $T/n:/n:rw,owner=no-such-user
restart = never

[service.good]
exec = /bin/sleep 100
EOF
	nuc_start
	wait_for_state bad failed 10
	wait_for_state badgroup failed 10
	wait_for_state badns failed 10
	[[ "$(svc_get bad error)" == "volumes: $T/b:/b:rw,owner=no-such-user: user 'no-such-user' not found in "*/etc/passwd ]]
	[[ "$(svc_get badgroup error)" == "volumes: $T/g:/g:rw,owner=nobody:no-such-group: group 'no-such-group' not found in "*/etc/group ]]
	[[ "$(svc_get badns error)" == "volumes: $T/n:/n:rw,owner=no-such-user: user 'no-such-user' not found in "*/etc/passwd ]]
	grep -q "bad: volumes: $T/b:/b:rw,owner=no-such-user: user 'no-such-user' not found" "$LOG"
	# nothing was made for it
	[ ! -e "$T/b" ] && [ ! -e "$T/g" ] && [ ! -e "$T/n" ]
	wait_for_state good ready 5
	holds 0.5 state_is good ready
}

@test "owner: a source resolving into a refused one is neither chowned nor created" {
	ln -s /etc "$T/etclink"
	etc_owner=$(owner_of /etc)
	write_manifest <<EOF
[service.link]
exec = /bin/true
user = nobody
volumes = $T/etclink:/data:rw,owner
restart = never

[service.below]
exec = /bin/true
user = nobody
volumes = $T/etclink/nucleus-owner-test:/data:rw,owner
restart = never
EOF
	nuc_start
	wait_for_state link failed 10
	wait_for_state below failed 10
	[ "$(svc_get link error)" = "volumes: $T/etclink: resolves to /etc, under the refused /etc" ]
	[ "$(svc_get below error)" = "volumes: $T/etclink/nucleus-owner-test: resolves to /etc/nucleus-owner-test, under the refused /etc" ]
	[ "$(owner_of /etc)" = "$etc_owner" ]
	[ ! -e /etc/nucleus-owner-test ]
}

@test "owner in a user namespace: the source is the host ids the user's inside ids map to" {
	mkdir "$T/u"
	touch "$T/u/old"
	write_manifest <<EOF
[service.u]
exec = /bin/sh -c "id -u >/u/id && cat /proc/self/uid_map >/u/map"
type = oneshot
user = nobody
namespaces = mount pid ipc uts user
volumes = $T/u:/u:rw,owner
EOF
	nuc_start
	wait_for_state u exited 10
	[ "$(svc_get u exit_status)" = 0 ]
	[ "$(cat "$T/u/id")" = 65534 ]
	base=$(awk '{ print $2 }' "$T/u/map")
	[ "$base" -ge 65536 ]
	host=$((base + 65534))
	for f in "$T/u" "$T/u/old" "$T/u/id"; do
		[ "$(owner_of "$f")" = "$host:$host" ]
	done
}
