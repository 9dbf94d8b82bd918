#!/usr/bin/env bats
# cgroup v2 in a real guest (issue 6; the host has no v2 controllers): a
# service past memory_max is OOM-killed, reported and restarted; a fork bomb
# under pids_max is contained and nucleusctl still answers; cpu_max holds a
# busy loop near its share; stopping a service leaves none of its processes,
# double-forked setsid daemons included, and removes its group; the status
# shows each service's accounting.

load helpers

setup_file() { qt_setup_file; }
teardown_file() { qt_teardown_file; }
teardown() { qt_teardown; }

@test "cgroup v2: OOM, fork bomb, cpu_max, whole-service stop and accounting in the guest" {
	cat >"$QT_DIR/cg.ini" <<'INI'
[system]
hostname = cg

[service.hog]
; allocates (and touches) 64 MiB in a group of 24 MiB
exec = /bin/dd if=/dev/zero of=/dev/null bs=64M count=1
memory_max = 24M
restart_delay = 1s
start_limit = 100/60s

[service.bomb]
; forks until pids_max says no (a shell dies on a failed fork: the bombing
; loop runs in a subshell while the service itself waits)
exec = /bin/sh -c '(while :; do sleep 1000 & done) & exec sleep 100000'
pids_max = 20

[service.spin]
exec = /bin/sh -c 'while :; do :; done'
cpu_max = 20%

[service.daemon]
; no PID namespace of its own: only its cgroup holds the daemons it leaves
isolate = no
exec = /bin/sh -c 'setsid sh -c "sleep 1001 & sleep 1001 &"; echo daemonized; exec sleep 1001'

[service.steady]
exec = /bin/sh -c 'while :; do sleep 1; done'
memory_high = 64M

[service.driver]
isolate = no
after = steady spin bomb daemon
restart = never
exec = /bin/sh /etc/driver.sh
INI
	cat >"$QT_DIR/driver.sh" <<'SH'
sleep 3
usage() { awk '/usage_usec/ { print $2 }' /sys/fs/cgroup/services/spin/cpu.stat; }
a=$(usage)
sleep 4
b=$(usage)
echo "CG spin-cpu-permille $(((b - a) / 4000))"
# PID 1 waits on events only: no tick of CPU while its services just run
t1=$(awk '{ print $14 + $15 }' /proc/1/stat)
sleep 2
t2=$(awk '{ print $14 + $15 }' /proc/1/stat)
echo "CG pid1-ticks $((t2 - t1))"
echo "CG bomb-tasks $(cat /sys/fs/cgroup/services/bomb/pids.current)"
echo "CG bomb-refused $(awk '/^max / { print $2 }' /sys/fs/cgroup/services/bomb/pids.events)"
nucleusctl status bomb >/dev/null && echo "CG ctl-answers"
echo "CG daemon-sleeps $(ps -o pid,args | grep -c '[s]leep 1001$')"
nucleusctl stop bomb && nucleusctl stop daemon && echo "CG stopped"
sleep 1
echo "CG sleeps-after-stop $(ps -o pid,args | grep -c '[s]leep 100[01]$')"
for g in bomb daemon; do
	if [ -d /sys/fs/cgroup/services/$g ]; then echo "CG group-left $g"; else echo "CG group-removed $g"; fi
done
sed 's/^/CG init-group /' /proc/1/cgroup
nucleusctl status --json | grep -o '"name": "steady"[^}]*' | sed 's/^/CG steady /'
nucleusctl status --json | grep -o '"name": "hog"[^}]*' | sed 's/^/CG hog /'
nucleusctl poweroff
SH
	qt_image cg "$QT_DIR/cg.ini" -f "$QT_DIR/driver.sh:/etc/driver.sh"
	qt_boot cg
	wait_console 'cgroup v2: every service in its own group under /sys/fs/cgroup/services' 60
	# OOM: reported as such, restarted by policy
	wait_console 'hog: out of memory: the kernel.s OOM killer killed [0-9]+ process' 60
	wait_console 'hog: was killed by the OOM killer \(SIGKILL\); restarting in' 30
	wait_console 'driver: CG hog ' 90
	vm_wait 60
	[ "$VM_STATUS" -eq 0 ]
	log=$VM/console.log
	# the busy loop got about its 20% (TCG: allow 10..30%)
	permille=$(grep -o 'CG spin-cpu-permille [0-9]*' "$log" | awk '{ print $3 }')
	echo "spin: $permille per mille"
	[ "$permille" -ge 100 ] && [ "$permille" -le 300 ]
	# PID 1 stays idle while its groups are watched (at most 10% of 2 s)
	[ "$(grep -o 'CG pid1-ticks [0-9]*' "$log" | awk '{ print $3 }')" -le 20 ]
	# the fork bomb stopped at pids_max and PID 1 still answered
	tasks=$(grep -o 'CG bomb-tasks [0-9]*' "$log" | awk '{ print $3 }')
	[ "$tasks" -ge 10 ] && [ "$tasks" -le 20 ]
	[ "$(grep -o 'CG bomb-refused [0-9]*' "$log" | awk '{ print $3 }')" -ge 1 ]
	grep -q 'CG ctl-answers' "$log"
	# the daemons were there, and nothing of bomb or daemon is left after stop
	[ "$(grep -o 'CG daemon-sleeps [0-9]*' "$log" | awk '{ print $3 }')" -ge 3 ]
	grep -q 'CG stopped' "$log"
	[ "$(grep -o 'CG sleeps-after-stop [0-9]*' "$log" | awk '{ print $3 }')" -eq 0 ]
	grep -q 'CG group-removed bomb' "$log"
	grep -q 'CG group-removed daemon' "$log"
	# nucleus-init itself stays in the machine's root group
	grep -qE 'CG init-group 0::/\s*$' "$log"
	# accounting: plausible numbers for steady, OOM kills and restarts for hog
	steady=$(grep 'CG steady ' "$log" | tail -1)
	echo "$steady"
	# the OOM kills, the bomb and the busy loop left the others alone
	[[ $steady =~ \"state\":\ \"ready\",\ \"pid\":\ [0-9]+,\ \"restarts\":\ 0, ]]
	[[ $steady =~ \"memory_current\":\ ([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -gt 0 ]
	[[ $steady =~ \"memory_peak\":\ ([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -gt 0 ]
	[[ $steady =~ \"oom_kills\":\ 0 ]]
	[[ $steady =~ \"cpu_usage_us\":\ ([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -gt 0 ]
	[[ $steady =~ \"tasks\":\ ([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -ge 2 ]
	hog=$(grep 'CG hog ' "$log" | tail -1)
	echo "$hog"
	[[ $hog =~ \"oom_kills\":\ ([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -ge 1 ]
	[[ $hog =~ \"restarts\":\ ([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -ge 1 ]
}
