#!/usr/bin/env bats
# image/closure.py users: the users and groups mkimage adds to an image
# (issue 14): stable ids, Debian's fixed ids, a package's adduser lines.

setup() {
	T=$(mktemp -d)
	CL=$BATS_TEST_DIRNAME/../../image/closure.py
	printf 'root:x:0:0:root:/root:/bin/sh\n' >"$T/passwd"
	printf 'root:x:0:\n' >"$T/group"
}
teardown() { rm -rf "$T"; }

users() { # MANIFEST [PKG_USERS] -> $T/out.passwd, $T/out.group
	python3 "$CL" users --manifest "$1" --passwd "$T/passwd" --group "$T/group" \
		${2:+--pkg-users "$2"} --out-passwd "$T/out.passwd" --out-group "$T/out.group"
}

@test "users: the manifest's names get stable ids, the same in every build and in any order" {
	printf '[service.a]\nexec = /bin/true\nuser = alice\ngroup = staff\n[service.b]\nexec = /bin/true\nuser = bob\n' >"$T/m1.ini"
	users "$T/m1.ini"
	cp "$T/out.passwd" "$T/first"
	# group = names one too (staff is one of the groups Debian fixes: 50)
	grep -q '^staff:x:50:' "$T/out.group"
	alice=$(grep '^alice:' "$T/out.passwd")
	# another build, the services the other way round and one more user
	printf '[service.c]\nexec = /bin/true\nuser = carol\n[service.b]\nexec = /bin/true\nuser = bob\n[service.a]\nexec = /bin/true\nuser = alice\n' >"$T/m2.ini"
	users "$T/m2.ini"
	[ "$(grep '^alice:' "$T/out.passwd")" = "$alice" ]
	[ "$(grep '^bob:' "$T/out.passwd")" = "$(grep '^bob:' "$T/first")" ]
	uid=$(cut -d: -f3 <<<"$alice")
	[ "$uid" -ge 20000 ] && [ "$uid" -lt 60000 ]
	# each user has its own group
	gid=$(cut -d: -f4 <<<"$alice")
	grep -q "^alice:x:$gid:" "$T/out.group"
	# the base entries stay
	grep -q '^root:x:0:0:' "$T/out.passwd"
}

@test "users: names Debian fixes keep Debian's ids; a package's system users come in" {
	printf '[service.a]\nexec = /bin/true\nuser = www-data\n' >"$T/m.ini"
	printf 'user\tredis\t/var/lib/redis\n' >"$T/pkg"
	users "$T/m.ini" "$T/pkg"
	grep -q '^www-data:x:33:33:' "$T/out.passwd"
	grep -qE '^redis:x:[0-9]+:[0-9]+:redis:/var/lib/redis:' "$T/out.passwd"
	# a name already there is left as it is
	printf 'root:x:0:0:root:/root:/bin/sh\nredis:x:999:999::/srv:/bin/false\n' >"$T/passwd"
	users "$T/m.ini" "$T/pkg"
	grep -q '^redis:x:999:999::/srv:/bin/false$' "$T/out.passwd"
	[ "$(grep -c '^redis:' "$T/out.passwd")" -eq 1 ]
}
