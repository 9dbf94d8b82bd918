#!/usr/bin/env bats
# Restart policy: back-off, start_limit, restart = always/on-failure/never,
# restart_delay_max and the back-off reset rule.

load ../lib/common

setup() { nuc_setup; }
teardown() { nuc_teardown; }

# The "restarting in Nms" delays nucleus-init announced for a service.
announced_delays() {
	sed -nE "s/.*$1: exited with .*; restarting in ([0-9]+)ms.*/\\1/p" "$LOG" | tr '\n' ' '
}

@test "a failing service restarts with growing delays until start_limit marks it failed" {
	write_manifest <<EOF
[service.flaky]
isolate = no
exec = sh -c '$NHELPER stamp $T/starts && exec $NHELPER exit 1'
restart_delay = 100ms
restart_delay_max = 10s
start_limit = 4/60s
EOF
	nuc_start
	wait_for_state flaky failed 10
	[ "$(svc_get flaky restarts)" = 3 ]
	[ "$(svc_get flaky exit_status)" = 1 ]
	[[ "$(svc_get flaky error)" == *"start limit"* ]]
	[ "$(svc_get flaky pid)" = null ]
	# the announced delays double: 100, 200, 400
	[ "$(announced_delays flaky)" = "100 200 400 " ]
	# and the real gaps between the four starts grow the same way
	mapfile -t s <"$T/starts"
	[ "${#s[@]}" -eq 4 ]
	g1=$((s[1] - s[0])) g2=$((s[2] - s[1])) g3=$((s[3] - s[2]))
	echo "gaps: $g1 $g2 $g3"
	[ "$g1" -ge 95 ]
	[ "$g2" -ge 195 ]
	[ "$g3" -ge 395 ]
	[ "$g3" -lt 2000 ]
	[ $((g2 * 10)) -ge $((g1 * 15)) ]
	[ $((g3 * 10)) -ge $((g2 * 15)) ]
}

@test "a service in back-off shows state backoff between runs" {
	write_manifest <<EOF
[service.slowretry]
isolate = no
exec = $NHELPER exit 1
restart_delay = 2s
EOF
	nuc_start
	wait_for_state slowretry backoff 3
	[ "$(svc_get slowretry restarts)" = 1 ]
	[ "$(svc_get slowretry exit_status)" = 1 ]
	[ "$(svc_get slowretry pid)" = null ]
}

@test "restart_delay_max caps the back-off" {
	write_manifest <<EOF
[service.capped]
isolate = no
exec = $NHELPER exit 2
restart_delay = 50ms
restart_delay_max = 100ms
start_limit = 5/60s
EOF
	nuc_start
	wait_for_state capped failed 10
	[ "$(announced_delays capped)" = "50 100 100 100 " ]
	[ "$(svc_get capped restarts)" = 4 ]
	[ "$(svc_get capped exit_status)" = 2 ]
}

@test "restart = never leaves a failed longrun exited, not restarted" {
	write_manifest <<EOF
[service.once]
isolate = no
exec = $NHELPER exit 3
restart = never
restart_delay = 50ms
EOF
	nuc_start
	wait_for_state once exited 5
	[ "$(svc_get once exit_status)" = 3 ]
	[ "$(svc_get once restarts)" = 0 ]
	refute grep -q 'once: exited with .*restarting' "$LOG"
}

@test "restart = on-failure does not restart a clean exit" {
	write_manifest <<EOF
[service.clean]
isolate = no
exec = sh -c '$NHELPER stamp $T/starts && exec $NHELPER exit 0'
restart_delay = 50ms
EOF
	nuc_start
	wait_for_state clean exited 5
	[ "$(svc_get clean exit_status)" = 0 ]
	[ "$(svc_get clean restarts)" = 0 ]
	[ "$(wc -l <"$T/starts")" -eq 1 ]
}

@test "restart = on-failure restarts a service killed by a signal" {
	write_manifest <<EOF
[service.victim]
isolate = no
exec = $NHELPER pidfile $T/pid
restart_delay = 1s
EOF
	nuc_start
	wait_for_state victim ready
	wait_for_file "$T/pid"
	old=$(svc_get victim pid)
	[ "$old" = "$(cat "$T/pid")" ]
	rm "$T/pid"
	nsenter -t "$NUC_PID" -p -m kill -KILL "$old"
	wait_for_state victim backoff
	[ "$(svc_get victim exit_status)" = SIGKILL ]
	[ "$(svc_get victim restarts)" = 1 ]
	wait_for_file "$T/pid"
	wait_for_state victim ready
	[ "$(svc_get victim pid)" != "$old" ]
}

@test "restart = always restarts clean exits too, within start_limit" {
	write_manifest <<EOF
[service.loop]
isolate = no
exec = $NHELPER exit 0
restart = always
restart_delay = 20ms
start_limit = 3/60s
EOF
	nuc_start
	wait_for_state loop failed 5
	[ "$(svc_get loop restarts)" = 2 ]
	[ "$(svc_get loop exit_status)" = 0 ]
	[[ "$(svc_get loop error)" == *"start limit"* ]]
}

@test "a run that stayed up for 10x the current delay resets the back-off" {
	# runs 1-3 fail at once (delays 20, 40, 80; the next would be 160),
	# run 4 stays up 2s > 10 x 160ms then fails: the delay is 20ms again.
	cat >"$T/flaky.sh" <<EOF
n=\$(cat $T/count 2>/dev/null || echo 0)
n=\$((n + 1))
echo \$n >$T/count
if [ \$n -le 3 ]; then exec $NHELPER exit 1; fi
if [ \$n -eq 4 ]; then exec $NHELPER exit 1 2000; fi
exec $NHELPER sleep 100
EOF
	write_manifest <<EOF
[service.resets]
isolate = no
exec = sh $T/flaky.sh
restart_delay = 20ms
restart_delay_max = 10s
start_limit = 10/60s
EOF
	nuc_start
	wait_until 8 _count_is 5
	wait_for_state resets ready
	[ "$(svc_get resets restarts)" = 4 ]
	[ "$(announced_delays resets)" = "20 40 80 20 " ]
}

_count_is() {
	[ "$(cat "$T/count" 2>/dev/null)" = "$1" ]
}

@test "start_limit counts only the starts within its interval" {
	# at most 3 starts per 350ms, 200ms apart once the back-off is capped: never hit
	write_manifest <<EOF
[service.paced]
isolate = no
exec = sh -c '$NHELPER stamp $T/starts && exec $NHELPER exit 1'
restart_delay = 200ms
restart_delay_max = 200ms
start_limit = 3/350ms
EOF
	nuc_start
	wait_until 5 _starts_at_least 6
	[ "$(svc_get paced state)" != failed ]
	[ "$(svc_get paced error)" = null ]
}

_starts_at_least() {
	[ "$(wc -l <"$T/starts" 2>/dev/null || echo 0)" -ge "$1" ]
}
