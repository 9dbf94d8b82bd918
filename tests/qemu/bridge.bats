#!/usr/bin/env bats
# network = bridge in a real guest (issue 7): a web server in a bridged
# service, its port published, reached from the host through the harness's
# port forward (host -> guest eth0 -> DNAT -> bridge -> service); egress
# between two services on the bridge, and its logged drops.

load helpers

setup_file() { qt_setup_file; }
teardown_file() { qt_teardown_file; }
teardown() { qt_teardown; }

@test "a published port of a bridged service answers through the harness port forward" {
	{
		cat <<'INI'
[system]
hostname = br
modules = virtio_pci virtio_net veth bridge nf_tables nft_chain_nat nft_nat nft_masq nft_fib_inet nft_fib_ipv4 nft_ct

[interface.eth0]
address = 10.0.2.15/24
gateway = 10.0.2.2
dns = 10.0.2.3

[service.web]
; busybox httpd on 8080 in its own network namespace; the machine's port 80 is published to it
exec = /usr/sbin/httpd -f -vv -p 8080 -h /etc
network = bridge
address = 10.88.0.50
publish = 80:8080
ready = tcp:127.0.0.1:8080

; neighbours on the same bridge: egress = none holds there too (issue 16), and says so
[service.jailed]
exec = /bin/sh -c 'sleep 2; for i in 1 2; do nc -w 2 10.88.0.50 8080 </dev/null && echo reached || echo blocked; done; exec sleep 1000'
network = bridge
egress = none
egress_log = yes

[service.free]
exec = /bin/sh -c 'sleep 2; nc -w 2 10.88.0.50 8080 </dev/null && echo reached || echo blocked; exec sleep 1000'
network = bridge
INI
	} >"$QT_DIR/br.ini"
	qt_image br "$QT_DIR/br.ini"
	qt_free_port
	qt_boot br -p "$PORT:80"
	wait_state web ready 60
	vm_status_json | grep -qE '"name": "web"[^}]*"address": "10\.88\.[0-9]+\.[0-9]+"'
	# /etc/hosts of the service's root, served from inside the bridge
	wait_http "$PORT" /hosts 'localhost' 30
	[[ $HTTP_OUT == "HTTP/1."?" 200"* ]]
	# switched, not routed: filtered all the same, the drop logged with the name
	wait_console 'jailed: blocked' 60
	wait_console 'free: reached' 30
	refute grep -q 'jailed: reached' "$VM/console.log"
	for _ in $(seq 1 50); do
		vm_ctl logs kernel | grep -q 'nucleus egress jailed: .*DST=10\.88\.0\.50' && break
		sleep 0.2
	done
	vm_ctl logs kernel | grep 'nucleus egress'
	vm_ctl logs kernel | grep -q 'nucleus egress jailed: .*DST=10\.88\.0\.50 .*DPT=8080'
	zcat "$IMG" | cpio -t --quiet | grep -q 'br_netfilter.ko'
}
