#!/usr/bin/env bats
# network = bridge in a real guest (issue 7): a web server in a bridged
# service, its port published, reached from the host through the harness's
# port forward (host -> guest eth0 -> DNAT -> bridge -> service).

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
publish = 80:8080
ready = tcp:127.0.0.1:8080
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
}
