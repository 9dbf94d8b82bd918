#!/usr/bin/env bats
# Stage 1's network setup (init/net/iface.c over our own rtnetlink module
# init/net/nl.c), driven by tests/helpers/nltest.c. Every netlink test runs
# in a fresh network namespace (`unshare --net`): the host's own links are
# never touched.

setup_file() {
	NUC_ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	NLTEST=$BATS_FILE_TMPDIR/nltest
	# The same sources stage 1 links, with the sanitizers on.
	gcc -std=gnu11 -O1 -g -Wall -Wextra -Werror -D_GNU_SOURCE -I"$NUC_ROOT/init" \
		-fsanitize=address,undefined -fno-sanitize-recover=undefined \
		-o "$NLTEST" "$NUC_ROOT/tests/helpers/nltest.c" "$NUC_ROOT/init/net/nl.c" \
		"$NUC_ROOT/init/net/iface.c" "$NUC_ROOT/init/util.c" "$NUC_ROOT/init/log.c" "$NUC_ROOT/init/records.c" "$NUC_ROOT/init/loop.c"
	export NLTEST
}

# in_netns SCRIPT: runs SCRIPT with sh -e in a new network namespace, where
# $L is a fresh link with no carrier of its own (a dummy, or one end of a veth
# pair when the kernel has no dummy driver).
in_netns() {
	unshare --net sh -ec "
		if ip link add t0 type dummy 2>/dev/null; then :; else
			ip link add t0 type veth peer name t0peer
		fi
		L=t0
		$1"
}

@test "an interface comes up with its MTU, IPv4 and IPv6 addresses and the default route" {
	run in_netns '
		$NLTEST apply $L -m 1400 -a 10.1.2.3/24 -a fd00:1::5/64 -g 10.1.2.254
		echo "LINK $(ip -o link show $L)"
		ip -o addr show dev $L | sed "s/^/ADDR /"
		ip route | sed "s/^/ROUTE4 /"'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"LINK "*"<"*",UP"*"> mtu 1400 "* ]]
	[[ "$output" == *"ADDR "*" inet 10.1.2.3/24 "* ]]
	[[ "$output" == *"ADDR "*" inet6 fd00:1::5/64 "* ]]
	[[ "$output" == *"ROUTE4 default via 10.1.2.254 dev t0"* ]]
}

@test "the default route carries the protocol 'boot' and sits in the main table" {
	run in_netns '
		$NLTEST apply $L -a 10.1.2.3/24 -g 10.1.2.254
		ip route show table main proto boot'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == "default via 10.1.2.254 dev t0"* ]]
}

@test "an IPv6 gateway gives an IPv6 default route" {
	run in_netns '
		$NLTEST apply $L -a fd00:1::5/64 -g fd00:1::1
		ip -6 route show default'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == "default via fd00:1::1 dev t0"* ]]
}

@test "without an MTU the link keeps its own; a bare address is a host address" {
	run in_netns '
		mtu() { ip -o link show $L | sed -n "s/.* mtu \([0-9]*\) .*/\1/p"; }
		before=$(mtu)
		$NLTEST apply $L -a 10.9.0.1
		echo "MTU $before $(mtu)"
		ip -o -4 addr show dev $L'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" =~ MTU\ ([0-9]+)\ ([0-9]+) ]]
	[ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ]
	[[ "$output" == *"inet 10.9.0.1/32 "* ]]
}

@test "applying the same interface twice is not an error" {
	run in_netns '
		$NLTEST apply $L -a 10.1.2.3/24 -a fd00:1::5/64 -g 10.1.2.254
		$NLTEST apply $L -a 10.1.2.3/24 -a fd00:1::5/64 -g 10.1.2.254
		ip -o -4 addr show dev $L | wc -l'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = 1 ]
}

@test "a missing link is an error naming it" {
	run in_netns '$NLTEST apply nosuch0 -a 10.1.2.3/24'
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$output" = "netlink: nosuch0: No such device" ]
}

@test "a refused MTU names the link and the operation, and the link stays down" {
	run in_netns '
		$NLTEST apply $L -m 10 -a 10.1.2.3/24 || echo "rc=$?"
		ip -o link show $L'
	echo "$output"
	[[ "${lines[0]}" == "netlink: t0: set mtu 10: Invalid argument"* ]]
	[ "${lines[1]}" = "rc=1" ]
	[[ "${lines[2]}" != *",UP"* ]]
}

@test "an unreachable gateway names the route" {
	run in_netns '$NLTEST apply $L -a 10.1.2.3/24 -g 10.9.9.9'
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == "netlink: t0: add default route via 10.9.9.9: Network is unreachable"* ]]
}

@test "an address that is not ADDR/PREFIX is refused by name" {
	run in_netns '$NLTEST apply $L -a 10.0.0.1/33'
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$output" = "netlink: t0: address 10.0.0.1/33: not ADDR/PREFIX" ]
}

@test "the loopback comes up with 127.0.0.1 and ::1" {
	run unshare --net sh -ec '
		ip -o link show lo
		$NLTEST lo
		ip -o link show lo
		ip -o addr show dev lo'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" != *",UP"* ]]
	[[ "${lines[1]}" == *"<LOOPBACK,UP"* ]]
	[[ "$output" == *"inet 127.0.0.1/8 "* ]]
	[[ "$output" == *"inet6 ::1/128 "* ]]
}

@test "resolv.conf gets one nameserver line per server, replaced whole" {
	d=$BATS_TEST_TMPDIR/etc
	mkdir -p "$d"
	echo "nameserver 192.0.2.99" >"$d/resolv.conf"
	run "$NLTEST" resolv "$d/resolv.conf" 10.0.2.3 2001:db8::53
	[ "$status" -eq 0 ]
	run grep -v '^#' "$d/resolv.conf"
	[ "${lines[0]}" = "nameserver 10.0.2.3" ]
	[ "${lines[1]}" = "nameserver 2001:db8::53" ]
	[ "${#lines[@]}" -eq 2 ]
	[ "$(stat -c %a "$d/resolv.conf")" = 644 ]
	# no temporary file left behind
	[ "$(ls "$d")" = resolv.conf ]
}

@test "resolv.conf on a read-only file system is an error the caller can report" {
	d=$BATS_TEST_TMPDIR/ro
	mkdir -p "$d"
	run unshare --mount sh -ec "
		mount --bind '$d' '$d'
		mount -o remount,bind,ro '$d'
		\$NLTEST resolv '$d/resolv.conf' 10.0.2.3"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$output" = "dns: $d/resolv.conf: Read-only file system" ]
	[ "$(ls "$d")" = "" ]
}

@test "resolv.conf in a missing directory, or a nameserver with blanks, is an error" {
	run "$NLTEST" resolv "$BATS_TEST_TMPDIR/none/resolv.conf" 10.0.2.3
	[ "$status" -eq 1 ]
	[ "$output" = "dns: $BATS_TEST_TMPDIR/none/resolv.conf: No such file or directory" ]
	run "$NLTEST" resolv "$BATS_TEST_TMPDIR/resolv.conf" "10.0.2.3 evil"
	[ "$status" -eq 1 ]
	[[ "$output" == *"bad nameserver '10.0.2.3 evil'"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/resolv.conf" ]
}
