#!/usr/bin/env bats
# network = bridge with nftables (issue 7): masquerade, published ports and
# egress allow-lists in nucleus-init's own table (table inet nucleus). Three
# kinds of network namespace, none of them the host's: nucleus-init's (the
# bridge and the rules), each service's own, and a "client" namespace joined
# to nucleus-init's by a veth pair (192.0.2.1 there, 192.0.2.2 in the client)
# that plays the outside world.

load ../lib/common

setup() {
	nuc_setup
	NB=$(dirname "$NHELPER")
	VOL="$NB:/nuc"
	CLIENT=
	LISTENERS=()
}

teardown() {
	local p
	for p in "${LISTENERS[@]}" $CLIENT; do
		kill -9 "$p" 2>/dev/null || true
	done
	nuc_teardown
}

# A listener of the outside on PORT; closed by teardown. Its output goes
# nowhere, so no open pipe keeps bats waiting.
client_listen() {
	nsenter -t "$CLIENT" -n "$NHELPER" listen-any "$1" >/dev/null 2>&1 3>&- </dev/null &
	LISTENERS+=("$!")
}

in_client() { nsenter -t "$CLIENT" -n "$@"; }

_client_unshared() {
	[ "$(readlink "/proc/$CLIENT/ns/net")" != "$(readlink /proc/self/ns/net)" ]
}

# The outside: a namespace of its own, linked to nucleus-init's.
make_client() {
	unshare --net sleep 1000 >/dev/null 2>&1 3>&- </dev/null &
	CLIENT=$!
	wait_until 5 _client_unshared
	nuc_netns ip link add vout type veth peer name vin netns "/proc/$CLIENT/ns/net"
	nuc_netns ip addr add 192.0.2.1/24 dev vout
	nuc_netns ip link set vout up
	in_client ip link set lo up
	in_client ip addr add 192.0.2.2/24 dev vin
	in_client ip link set vin up
}

@test "publish: a bridged service answers on the host's port, from outside and from the host itself" {
	write_manifest <<EOF
[service.web]
exec = /nuc/nhelper listen-any 8080
network = bridge
volumes = $VOL
publish = 9090:8080
ready = tcp:127.0.0.1:8080
ready_timeout = 5s
EOF
	nuc_start_netns
	make_client
	wait_for_state web ready 10
	nuc_netns nft list table inet nucleus | grep -q 'dport 9090 dnat ip to'
	[ "$(nuc_netns cat /proc/sys/net/ipv4/ip_forward)" = 1 ]
	# from outside, through the address of nucleus-init's side
	in_client busybox nc -w 2 192.0.2.1 9090 -e /bin/true
	# from the host itself, on its own address and on 127.0.0.1
	nuc_netns busybox nc -w 2 192.0.2.1 9090 -e /bin/true
	nuc_netns busybox nc -w 2 127.0.0.1 9090 -e /bin/true
	# a port that is not published stays closed
	run in_client busybox nc -w 2 192.0.2.1 9091 -e /bin/true
	[ "$status" -ne 0 ]
}

@test "egress: none blocks everything, an allow-list permits exactly its CIDR:PORT; masquerade to the outside" {
	write_manifest <<EOF
[service.open]
exec = /bin/sh -c "busybox nc -w 2 192.0.2.2 7001 -e /bin/true && echo 7001-ok || echo 7001-no"
network = bridge
type = oneshot
stdout = file:$T/open.out

[service.closed]
exec = /bin/sh -c "busybox nc -w 2 192.0.2.2 7001 -e /bin/true && echo 7001-ok || echo 7001-no"
network = bridge
egress = none
type = oneshot
stdout = file:$T/closed.out

[service.some]
exec = /bin/sh -c "for p in 7001 7002; do busybox nc -w 2 192.0.2.2 \$p -e /bin/true && echo \$p-ok || echo \$p-no; done"
network = bridge
egress = 192.0.2.2/32:7001
type = oneshot
stdout = file:$T/some.out
EOF
	nuc_start_netns
	make_client
	client_listen 7001
	client_listen 7002
	wait_until 5 in_client busybox nc -w 1 192.0.2.2 7002 -e /bin/true
	# the first runs may have come before the outside was there: run them again
	for s in open closed some; do
		wait_until 10 eval '[ "$(svc_get '$s' state)" != starting ]'
		ctl restart "$s"
	done
	for s in open closed some; do wait_for_state "$s" exited 10; done
	outputs_written
	cat "$T/open.out" "$T/closed.out" "$T/some.out"
	[ "$(tail -1 "$T/open.out")" = 7001-ok ]
	[ "$(tail -1 "$T/closed.out")" = 7001-no ]
	[ "$(tail -2 "$T/some.out" | tr '\n' ' ')" = "7001-ok 7002-no " ]
}

@test "stopping every bridged service removes the table, restores ip_forward, and touches no other table" {
	write_manifest <<EOF
[service.a]
exec = /bin/sleep 1000
network = bridge
publish = 9191:80
EOF
	nuc_start_netns "nft add table inet theirs; nft add chain inet theirs c"
	wait_for_state a ready 10
	nuc_netns nft list table inet nucleus >/dev/null
	[ "$(nuc_netns cat /proc/sys/net/ipv4/ip_forward)" = 1 ]
	ctl stop a
	run nuc_netns nft list table inet nucleus
	[ "$status" -ne 0 ]
	[ "$(nuc_netns cat /proc/sys/net/ipv4/ip_forward)" = 0 ]
	nuc_netns nft list table inet theirs | grep -q 'chain c'
	[ "$(nuc_netns ip -o link show type veth | wc -l)" -eq 0 ]
}

@test "a bridged service's resolv.conf names the [interface] nameservers" {
	write_manifest <<EOF
[interface.lo]
dns = 192.0.2.53

[service.r]
exec = /bin/cat /etc/resolv.conf
network = bridge
type = oneshot
stdout = file:$T/r.out
EOF
	nuc_start_netns
	wait_for_state r exited 10
	outputs_written
	cat "$T/r.out"
	[ "$(cat "$T/r.out")" = "nameserver 192.0.2.53" ]
}

@test "publish on one address answers there and not on another of the host's; egress by protocol" {
	write_manifest <<EOF2
[service.web]
exec = /nuc/nhelper listen-any 8080
network = bridge
volumes = $VOL
publish = 192.0.2.1:9292:8080
ready = tcp:127.0.0.1:8080
ready_timeout = 5s

[service.udponly]
exec = /bin/sh -c "busybox nc -w 2 192.0.2.2 7001 -e /bin/true && echo tcp-ok || echo tcp-no"
network = bridge
egress = 192.0.2.2/32:7001/udp
type = oneshot
stdout = file:$T/udponly.out

[service.tcponly]
exec = /bin/sh -c "busybox nc -w 2 192.0.2.2 7001 -e /bin/true && echo tcp-ok || echo tcp-no"
network = bridge
egress = 192.0.2.2/32/tcp
type = oneshot
stdout = file:$T/tcponly.out
EOF2
	nuc_start_netns
	make_client
	nuc_netns ip addr add 192.0.2.3/24 dev vout
	client_listen 7001
	wait_until 5 in_client busybox nc -w 1 192.0.2.2 7001 -e /bin/true
	wait_for_state web ready 10
	nuc_netns nft list table inet nucleus | grep -q 'ip daddr 192.0.2.1 tcp dport 9292 dnat ip to'
	in_client busybox nc -w 2 192.0.2.1 9292 -e /bin/true
	run in_client busybox nc -w 2 192.0.2.3 9292 -e /bin/true
	[ "$status" -ne 0 ]
	for s in udponly tcponly; do
		wait_until 10 eval '[ "$(svc_get '$s' state)" != starting ]'
		ctl restart "$s"
	done
	for s in udponly tcponly; do wait_for_state "$s" exited 10; done
	outputs_written
	[ "$(tail -1 "$T/udponly.out")" = tcp-no ]
	[ "$(tail -1 "$T/tcponly.out")" = tcp-ok ]
}

@test "egress holds between services on one bridge: a service with egress = none cannot reach its neighbour" {
	write_manifest <<EOF2
[service.server]
exec = /nuc/nhelper listen-any 8080
network = bridge
volumes = $VOL
address = 10.88.0.50
ready = tcp:127.0.0.1:8080
ready_timeout = 5s

[service.jailed]
exec = /bin/sh -c "busybox nc -w 2 10.88.0.50 8080 -e /bin/true && echo reached || echo blocked"
network = bridge
egress = none
type = oneshot
stdout = file:$T/jailed.out

[service.free]
exec = /bin/sh -c "busybox nc -w 2 10.88.0.50 8080 -e /bin/true && echo reached || echo blocked"
network = bridge
type = oneshot
stdout = file:$T/free.out
EOF2
	nuc_start_netns
	wait_for_state server ready 10
	for s in jailed free; do
		wait_until 10 eval '[ "$(svc_get '$s' state)" != starting ]'
		ctl restart "$s"
	done
	for s in jailed free; do wait_for_state "$s" exited 10; done
	outputs_written
	[ "$(tail -1 "$T/jailed.out")" = blocked ]
	[ "$(tail -1 "$T/free.out")" = reached ]
	# the bridge hands its frames to the rules
	[ "$(nuc_netns cat /proc/sys/net/bridge/bridge-nf-call-iptables)" = 1 ]
}
