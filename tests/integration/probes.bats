#!/usr/bin/env bats
# Readiness and health probes, sd_notify and the watchdog (issue 4).
# Every test runs nucleus-init as PID 1 of a fresh PID namespace, in its own
# network namespace too, so probe ports never meet the host's.

load ../lib/common

setup() {
	nuc_setup
}

teardown() {
	nuc_teardown
}

@test "ready=notify: READY=1 from systemd-notify makes the service ready, STATUS= is shown" {
	command -v systemd-notify
	write_manifest <<-EOF
		[service.n]
		isolate = no
		exec = /bin/sh -c "$NHELPER sleep 0.5; systemd-notify --ready --status='serving 3 clients'; exec $NHELPER sleep 100"
		ready = notify
		[service.dep]
		isolate = no
		exec = $NHELPER sleep 100
		after = n
	EOF
	nuc_start
	[ "$(svc_get n state)" = starting ]
	[ "$(svc_get dep state)" = waiting ]
	wait_for_state n ready 5
	[ "$(svc_get n status_text)" = "serving 3 clients" ]
	wait_for_state dep ready 5
}

@test "ready=notify: our own sd_notify client, READY after STATUS, and NOTIFY_SOCKET is set" {
	write_manifest <<-EOF
		[service.n]
		isolate = no
		exec = $NHELPER notify 300 READY=1 STATUS=up
		ready = notify
	EOF
	nuc_start
	wait_for_state n ready 5
	[ "$(svc_get n status_text)" = up ]
}

@test "ready=notify: processes outside the service cannot make it ready" {
	write_manifest <<-EOF
		[service.n]
		isolate = no
		exec = $NHELPER sleep 100
		ready = notify
		ready_timeout = 1500ms
		restart = never
		[service.other]
		isolate = no
		exec = /bin/sh -c "NOTIFY_SOCKET=$RUN/notify/n exec $NHELPER notify --exit 200 READY=1"
		type = oneshot
	EOF
	nuc_start
	# another service's process speaks for itself, never for n
	wait_for_state other exited 5
	# a process outside the namespace: its pid means nothing to PID 1
	NOTIFY_SOCKET=$RUN/notify/n "$NHELPER" notify --exit 0 READY=1
	wait_for_log "n: [0-9]+ notify messages? dropped, not from a process of the service: pid [-0-9]+ \(uid 0\) [0-9]+" 5
	[ "$(svc_get n state)" = starting ]
	wait_for_state n failed 5
	[ "$(svc_get n error)" = "not ready within 1500ms" ]
}

@test "ready=fd:3: a newline on fd 3 means ready" {
	write_manifest <<-EOF
		[service.f]
		isolate = no
		exec = /bin/sh -c "$NHELPER sleep 0.4; echo >&3; exec $NHELPER sleep 100"
		ready = fd:3
	EOF
	nuc_start
	[ "$(svc_get f state)" = starting ]
	wait_for_state f ready 5
}

@test "ready=tcp: ready once the port accepts, not before" {
	write_manifest <<-EOF
		[service.t]
		isolate = no
		exec = /bin/sh -c "$NHELPER sleep 0.7; exec $NHELPER listen 17001"
		ready = tcp:127.0.0.1:17001
		[service.after_t]
		isolate = no
		exec = $NHELPER sleep 100
		requires = t
	EOF
	nuc_start_netns
	[ "$(svc_get t state)" = starting ]
	wait_for_state t ready 5
	wait_for_state after_t ready 5
}

@test "ready=http: 2xx is ready; a 404 path never is and the ready_timeout fails the start" {
	mkdir -p "$T/www"
	echo hello >"$T/www/index.html"
	write_manifest <<-EOF
		[service.web]
		isolate = no
		exec = busybox httpd -f -p 127.0.0.1:17002 -h $T/www
		ready = http://127.0.0.1:17002/index.html
		[service.web404]
		isolate = no
		exec = busybox httpd -f -p 127.0.0.1:17003 -h $T/www
		ready = http://127.0.0.1:17003/missing
		ready_timeout = 1s
		restart = on-failure
		restart_delay = 50ms
		start_limit = 2/60s
	EOF
	nuc_start_netns
	wait_for_state web ready 5
	wait_for_state web404 failed 10
	[ "$(svc_get web404 restarts)" = 1 ]
	[[ "$(svc_get web404 error)" == "start limit hit"* ]]
}

@test "ready=exec: the command runs as the service user until it exits 0" {
	write_manifest <<-EOF
		[service.e]
		isolate = no
		exec = /bin/sh -c "$NHELPER sleep 0.5; : > $T/flag; exec $NHELPER sleep 100"
		ready = exec:/bin/sh -c "test -e $T/flag && id -u > $T/probe-uid"
	EOF
	chmod 0777 "$T"
	nuc_start
	wait_for_state e ready 5
	[ "$(cat "$T/probe-uid")" = 0 ]
}

@test "health: failures after ready make the service unhealthy and it is restarted" {
	write_manifest <<-EOF
		[service.h]
		isolate = no
		exec = $NHELPER sleep 100
		health = exec:/bin/sh -c "test ! -e $T/sick"
		health_interval = 150ms
		health_retries = 2
		restart_delay = 50ms
	EOF
	nuc_start
	wait_for_state h ready 5
	wait_until 5 health_is h healthy
	local pid1
	pid1=$(svc_get h pid)
	touch "$T/sick"
	wait_until 5 health_is h unhealthy
	rm -f "$T/sick"
	wait_until 5 restarted_once h
	wait_for_state h ready 5
	[ "$(svc_get h pid)" != "$pid1" ]
	wait_until 5 health_is h healthy
}

@test "health: one success makes an unhealthy service healthy again (on_unhealthy = ignore)" {
	write_manifest <<-EOF
		[service.h]
		isolate = no
		exec = $NHELPER sleep 100
		health = exec:/bin/sh -c "test ! -e $T/sick"
		health_interval = 100ms
		health_retries = 2
		on_unhealthy = ignore
	EOF
	touch "$T/sick"
	nuc_start
	wait_until 5 health_is h unhealthy
	[ "$(svc_get h state)" = ready ]
	[ "$(svc_get h restarts)" = 0 ]
	rm -f "$T/sick"
	wait_until 5 health_is h healthy
}

@test "health: failures inside health_start_period do not count" {
	write_manifest <<-EOF
		[service.h]
		isolate = no
		exec = $NHELPER sleep 100
		health = exec:/bin/false
		health_interval = 100ms
		health_retries = 1
		health_start_period = 1500ms
		on_unhealthy = stop
	EOF
	nuc_start
	wait_for_state h ready 5
	sleep 0.8
	[ "$(svc_get h health)" = unknown ]
	[ "$(svc_get h state)" = ready ]
	wait_for_state h stopped 5
	[ "$(svc_get h health)" = unhealthy ]
}

@test "health=http against a real server; health_timeout bounds a hung probe" {
	mkdir -p "$T/www"
	echo ok >"$T/www/index.html"
	write_manifest <<-EOF
		[service.web]
		isolate = no
		exec = busybox httpd -f -p 127.0.0.1:17004 -h $T/www
		health = http://127.0.0.1:17004/index.html
		health_interval = 100ms
		[service.hang]
		isolate = no
		exec = $NHELPER listen 17005
		health = http://127.0.0.1:17005/
		health_interval = 100ms
		health_timeout = 200ms
		health_retries = 2
		on_unhealthy = ignore
	EOF
	nuc_start_netns
	wait_until 5 health_is web healthy
	wait_until 5 health_is hang unhealthy
}

@test "watchdog: WATCHDOG_USEC is exported and a silent service is unhealthy at once" {
	write_manifest <<-EOF
		[service.w]
		isolate = no
		exec = /bin/sh -c "echo usec=\$WATCHDOG_USEC > $T/env; exec $NHELPER notify --watchdog 100 $T/stop-pinging 0 READY=1"
		ready = notify
		watchdog = 400ms
		on_unhealthy = stop
	EOF
	nuc_start
	wait_for_state w ready 5
	[ "$(cat "$T/env")" = "usec=400000" ]
	sleep 1
	[ "$(svc_get w state)" = ready ]
	touch "$T/stop-pinging"
	wait_for_state w stopped 5
	[ "$(svc_get w health)" = unhealthy ]
}

@test "requires gate: a dependency that never gets ready fails its dependents" {
	write_manifest <<-EOF
		[service.db]
		isolate = no
		exec = $NHELPER sleep 100
		ready = tcp:127.0.0.1:1
		ready_timeout = 500ms
		restart = never
		[service.app]
		isolate = no
		exec = $NHELPER sleep 100
		requires = db
	EOF
	nuc_start
	[ "$(svc_get app state)" = waiting ]
	wait_for_state db failed 5
	wait_for_state app failed 5
	[ "$(svc_get app error)" = "dependency db failed" ]
}

health_is() {
	[ "$(svc_get "$1" health)" = "$2" ]
}

restarted_once() {
	[ "$(svc_get "$1" restarts)" -ge 1 ]
}

@test "an exec probe that cannot run says why: the runner's step and error" {
	write_manifest <<EOF
[service.p]
exec = /bin/sleep 100
health = exec:/no/such/probe
health_interval = 200ms
health_retries = 1
on_unhealthy = ignore
EOF
	nuc_start
	wait_for_log 'p: unhealthy: exec probe: exec: /no/such/probe: No such file or directory' 10
}
