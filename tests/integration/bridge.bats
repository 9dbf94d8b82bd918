#!/usr/bin/env bats
# network = bridge (issue 7, first part): the bridge with its gateway, a veth
# pair per service with eth0 in the service's namespace, addresses allocated
# from the subnet or fixed, kept across restarts, released on stop, and
# nothing left behind. nucleus-init runs in its own network namespace as
# well as its PID namespace: the host's interfaces are never touched.

load ../lib/common

setup() {
	nuc_setup
	NB=$(dirname "$NHELPER")
	VOL="$NB:/nuc"
}

teardown() {
	nuc_teardown
}

@test "two bridged services talk to each other by address; the host side reaches them too" {
	write_manifest <<EOF
[service.a]
exec = /nuc/nhelper listen-any 8300
network = bridge
subnet = 10.89.0.0/24
address = 10.89.0.10
volumes = $VOL
ready = tcp:10.89.0.10:8300
ready_timeout = 5s

[service.b]
exec = /bin/sh -c "busybox nc -w 2 10.89.0.10 8300 -e /bin/true && echo reached || echo unreachable; cat /proc/net/route"
network = bridge
subnet = 10.89.0.0/24
after = a
type = oneshot
stdout = file:$T/b.out
EOF
	nuc_start_netns
	wait_for_state a ready 10
	[ "$(svc_get a address)" = 10.89.0.10 ]
	wait_for_state b exited 10
	outputs_written
	cat "$T/b.out"
	[ "$(head -1 "$T/b.out")" = reached ]
	# b's default route is the gateway, the subnet's first address
	grep -qE '^eth0[[:space:]]+00000000[[:space:]]+0100590A' "$T/b.out"
	# the bridge holds the gateway; the host side of it connects to a
	nuc_netns ip -o addr show dev nucleus0 | grep -q 'inet 10.89.0.1/24'
	nuc_netns busybox nc -w 2 10.89.0.10 8300 -e /bin/true
}

@test "addresses are unique across 20 services, kept across a restart, and a taken fixed one is refused" {
	for i in $(seq 1 20); do
		printf '[service.s%d]\nexec = /bin/sleep 1000\nnetwork = bridge\nsubnet = 10.90.0.0/27\n\n' "$i"
	done >"$M"
	nuc_start_netns
	for i in $(seq 1 20); do wait_for_state "s$i" ready 10; done
	addrs=$(for i in $(seq 1 20); do svc_get "s$i" address; done)
	echo "$addrs"
	[ "$(sort -u <<<"$addrs" | wc -l)" -eq 20 ]
	while read -r a; do
		[[ $a == 10.90.0.* ]]
		n=${a##*.}
		# hosts of a /27: .2 .. .30 (.1 is the gateway, .31 the broadcast)
		[ "$n" -ge 2 ] && [ "$n" -le 30 ]
	done <<<"$addrs"
	# the same address after a restart
	before=$(svc_get s7 address)
	ctl restart s7
	wait_for_state s7 ready 10
	[ "$(svc_get s7 address)" = "$before" ]
	# a fixed address already held is refused, naming the holder
	held=$(svc_get s1 address)
	cat >>"$M" <<EOF

[service.fixed]
exec = /bin/sleep 1000
network = bridge
subnet = 10.90.0.0/27
address = $held
restart = never
EOF
	ctl reload
	wait_for_state fixed failed 10
	[ "$(svc_get fixed error)" = "address: $held is in use by s1" ]
}

@test "stopping every bridged service leaves no veth and gives the addresses back" {
	write_manifest <<EOF
[service.x]
exec = /bin/sleep 1000
network = bridge

[service.y]
exec = /bin/sleep 1000
network = bridge
EOF
	nuc_start_netns
	wait_for_state x ready 10
	wait_for_state y ready 10
	[ "$(nuc_netns ip -o link show type veth | wc -l)" -eq 2 ]
	[ -e "$RUN/ipam/x" ] && [ -e "$RUN/ipam/y" ]
	nuc_netns ip -o link show master nucleus0 | grep -q 'nv[0-9]'
	ctl stop x
	ctl stop y
	wait_until 5 eval '[ "$(nuc_netns ip -o link show type veth | wc -l)" -eq 0 ]'
	[ ! -e "$RUN/ipam/x" ] && [ ! -e "$RUN/ipam/y" ]
	[ "$(svc_get x address)" = null ]
}

@test "inside a bridged service: lo and eth0 only, the address on eth0, the default route via the gateway" {
	write_manifest <<EOF
[service.look]
exec = /bin/sh -c "ls /sys/class/net; cat /sys/class/net/eth0/operstate; busybox ip -o -4 addr show dev eth0; busybox ip route"
network = bridge
address = 10.88.3.4
type = oneshot
stdout = file:$T/look.out
EOF
	nuc_start_netns
	wait_for_state look exited 10
	outputs_written
	cat "$T/look.out"
	[ "$(sed -n 1,2p "$T/look.out" | tr '\n' ' ')" = "eth0 lo " ]
	[ "$(sed -n 3p "$T/look.out")" = up ]
	grep -q 'inet 10.88.3.4/16' "$T/look.out"
	grep -q 'default via 10.88.0.1 dev eth0' "$T/look.out"
}
