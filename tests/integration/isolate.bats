#!/usr/bin/env bats
# Isolation of services (issue 5): namespaces, the private root, volumes,
# secrets, capabilities, no_new_privs and seccomp. nucleus-init runs as PID 1
# of a fresh PID namespace (and a net namespace where ports are involved);
# every service below is isolated by default unless it says isolate = no.
# The helper binary reaches the service's root through a read-only volume.

load ../lib/common

setup() {
	nuc_setup
	NB=$(dirname "$NHELPER")
	VOL="$NB:/nuc"
}

teardown() {
	nuc_teardown
}

# Every descendant of nucleus-init, in nested PID namespaces too.
tree_procs() {
	local -A kids
	local pid ppid rest f todo=("$NUC_PID")
	for f in /proc/[0-9]*/stat; do
		read -r pid _ _ ppid rest <"$f" 2>/dev/null || continue
		kids[$ppid]+="$pid "
	done
	while [ ${#todo[@]} -gt 0 ]; do
		pid=${todo[0]}
		todo=("${todo[@]:1}")
		for f in ${kids[$pid]:-}; do
			echo "$f"
			todo+=("$f")
		done
	done
}

_no_tree_procs() {
	[ -z "$(tree_procs)" ]
}

# A oneshot's output, once it has finished.
oneshot_output() {
	wait_for_state "$1" "${3:-exited}" 10
	outputs_written
	cat "$2"
}

@test "isolated root service: every attack from inside is denied" {
	write_manifest <<EOF
[service.attack]
exec = /nuc/nhelper attack
type = oneshot
volumes = $VOL
stdout = file:$T/attack.out
EOF
	nuc_start
	wait_for_state attack exited 10
	outputs_written
	cat "$T/attack.out"
	[ "$(svc_get attack exit_status)" = 0 ]
	refute grep ALLOWED "$T/attack.out"
	grep -qx 'mount: denied (Operation not permitted)' "$T/attack.out"
	grep -qx 'unshare user: denied (Operation not permitted)' "$T/attack.out"
	grep -qx 'clone with CLONE_NEWPID: denied (Operation not permitted)' "$T/attack.out"
	grep -qx 'write /etc: denied (Read-only file system)' "$T/attack.out"
	grep -qx 'write /usr: denied (Read-only file system)' "$T/attack.out"
	grep -qx 'write /: denied (Read-only file system)' "$T/attack.out"
	# masked read-only where the kernel has it
	grep -qxE 'write /proc/sysrq-trigger: denied \((Read-only file system|No such file or directory)\)' "$T/attack.out"
	grep -qx 'write /sys: denied (Read-only file system)' "$T/attack.out"
	grep -qx 'sethostname: denied (Operation not permitted)' "$T/attack.out"
	grep -qx 'mknod: denied (Operation not permitted)' "$T/attack.out"
	grep -qx 'chroot: denied (Operation not permitted)' "$T/attack.out"
	grep -q '^read /proc/kcore: denied' "$T/attack.out"
	grep -qx 'raise CAP_SYS_ADMIN: denied (Operation not permitted)' "$T/attack.out"
	[ "$(grep -c ': denied' "$T/attack.out")" -ge 23 ]
}

@test "isolated non-root service: attacks denied, setuid(0) too, and it sees only its own processes" {
	write_manifest <<EOF
[service.attack]
exec = /nuc/nhelper attack
type = oneshot
user = nobody
volumes = $VOL
stdout = file:$T/attack.out

[service.procs]
exec = /bin/sh -c "ls -d /proc/[0-9]*; grep NoNewPrivs /proc/self/status"
type = oneshot
user = nobody
stdout = file:$T/procs.out
EOF
	nuc_start
	wait_for_state attack exited 10
	outputs_written
	cat "$T/attack.out"
	refute grep ALLOWED "$T/attack.out"
	grep -qx 'setuid 0: denied (Operation not permitted)' "$T/attack.out"
	grep -qx 'write /etc: denied (Read-only file system)' "$T/attack.out"
	wait_for_state procs exited 10
	outputs_written
	cat "$T/procs.out"
	# hidepid=2: the namespace's init (root) is invisible, only sh and ls are there
	refute grep -qx /proc/1 "$T/procs.out"
	[ "$(grep -c '^/proc/[0-9]' "$T/procs.out")" -le 2 ]
	grep -q 'NoNewPrivs:.*1' "$T/procs.out"
}

@test "a root service sees only its namespace: its init as pid 1, nothing of the host" {
	write_manifest <<EOF
[service.procs]
exec = /bin/sh -c "cat /proc/1/comm; ls -d /proc/[0-9]*"
type = oneshot
stdout = file:$T/procs.out
EOF
	nuc_start
	oneshot_output procs "$T/procs.out"
	[ "$(head -1 "$T/procs.out")" = nucleus-ns-init ]
	[ "$(grep -c '^/proc/[0-9]' "$T/procs.out")" -le 3 ]
}

@test "from its very first instruction a service sees nucleus-ns-init as pid 1, never a fork of PID 1" {
	write_manifest <<EOF
[service.first]
type = oneshot
volumes = $VOL
exec = /nuc/nhelper cat /proc/1/cmdline
stdout = file:$T/first.out
EOF
	nuc_start
	wait_for_state first exited 10
	outputs_written
	for _ in $(seq 1 40); do
		ctl start first >/dev/null
	done
	tr '\0' ' ' <"$T/first.out" | sed 's/nucleus-ns-init first /&\n/g' | grep . | sort | uniq -c
	[ "$(tr '\0' ' ' <"$T/first.out")" = "$(printf 'nucleus-ns-init first %.0s' $(seq 1 41))" ]
}

@test "normal work succeeds: read /etc, write /tmp and a volume, listen on a port" {
	mkdir "$T/data"
	write_manifest <<EOF
[service.work]
exec = /bin/sh -c "grep -q '^root:' /etc/passwd && echo scratch >/tmp/x && cat /tmp/x >/data/out && exec /nuc/nhelper listen 8123"
volumes = $VOL $T/data:/data:rw
ready = tcp:127.0.0.1:8123
ready_timeout = 5s
EOF
	nuc_start_netns
	wait_for_state work ready 10
	[ "$(cat "$T/data/out")" = scratch ]
	# the private /tmp is not the host's
	[ ! -e /tmp/x ] || [ "$(cat /tmp/x)" != scratch ] || false
}

@test "the private root: read-only tmpfs, system dirs bound ro,nosuid,nodev, a minimal /dev" {
	write_manifest <<EOF
[service.look]
exec = /bin/sh -c "ls /dev; echo ---; cat /proc/self/mountinfo; echo ---; readlink /bin || echo dir"
type = oneshot
stdout = file:$T/look.out
EOF
	nuc_start
	oneshot_output look "$T/look.out"
	devs=$(sed -n '1,/^---$/p' "$T/look.out" | grep -v -- --- | tr '\n' ' ')
	[ "$devs" = "fd full null ptmx pts random shm stderr stdin stdout tty urandom zero " ] ||
		[ "$devs" = "fd full null ptmx pts random shm stderr stdin stdout urandom zero " ]
	mi() { awk -v p="$1" '$5 == p { o = $6 } END { print o }' "$T/look.out"; }
	[[ ",$(mi /)," == *,ro,* ]]
	[[ ",$(mi /usr)," == *,ro,*nosuid,*nodev,* ]]
	[[ ",$(mi /etc)," == *,ro,*nosuid,*nodev,* ]]
	[[ ",$(mi /tmp)," == *,rw,*nosuid,*nodev,* ]]
	[[ ",$(mi /proc/sys)," == *,ro,* ]]
	[[ ",$(mi /sys)," == *,ro,* ]]
	[[ ",$(mi /dev)," == *,ro,* ]]
	# a merged-/usr host keeps /bin as its link into usr/
	if [ -L /bin ]; then
		[ "$(tail -1 "$T/look.out")" = "$(readlink /bin)" ]
	fi
}

@test "exit codes and signals pass through the namespace's init" {
	write_manifest <<EOF
[service.three]
exec = /bin/sh -c "exit 3"
type = oneshot
restart = never

[service.term]
exec = /bin/sh -c "kill -TERM \$\$"
restart = never
EOF
	nuc_start
	wait_for_state three failed 10
	[ "$(svc_get three exit_status)" = 3 ]
	wait_for_state term exited 10
	[ "$(svc_get term exit_status)" = SIGTERM ]
}

@test "stop: the stop signal reaches the service through its namespace's init" {
	mkdir "$T/out"
	write_manifest <<EOF
[service.rec]
exec = /nuc/nhelper record-signals /out/signals
volumes = $VOL $T/out:/out:rw
stop_timeout = 5s
EOF
	nuc_start
	wait_for_state rec ready 10
	wait_for_log "rec: recording" 5
	ctl stop rec
	grep -q TERM "$T/out/signals"
	[ "$(svc_get rec state)" = stopped ]
	# the service itself ended on the forwarded signal, not at the SIGKILL deadline
	[ "$(svc_get rec exit_status)" = 0 ]
	wait_until 3 _no_tree_procs
}

@test "stop: a service ignoring its stop signal is killed with its whole namespace" {
	write_manifest <<EOF
[service.stubborn]
exec = /bin/sh -c "/nuc/nhelper sleep 100 & exec /nuc/nhelper ignore-term"
volumes = $VOL
stop_timeout = 300ms
EOF
	nuc_start
	wait_for_state stubborn ready 10
	wait_for_log "stubborn: ignoring" 5
	# its init, sh's child and the service itself
	[ "$(tree_procs | wc -l)" -ge 3 ]
	ctl stop stubborn
	[ "$(svc_get stubborn state)" = stopped ]
	wait_until 3 _no_tree_procs
}

@test "volumes: a symlink that resolves into a refused source is refused at start" {
	ln -s /etc "$T/etclink"
	write_manifest <<EOF
[service.v]
exec = /bin/true
volumes = $T/etclink:/data
restart = never
EOF
	nuc_start
	wait_for_state v failed 10
	[ "$(svc_get v error)" = "volumes: $T/etclink: resolves to /etc, under the refused /etc" ]
}

@test "volumes: a missing source, and a destination through a symlink, are refused" {
	mkdir -p "$T/a"
	ln -s /etc "$T/a/l"
	write_manifest <<EOF
[service.missing]
exec = /bin/true
volumes = $T/nope:/data
restart = never

[service.through]
exec = /bin/true
volumes = $T/a:/opt/a:rw $T:/opt/a/l/x
restart = never
EOF
	nuc_start
	wait_for_state missing failed 10
	[ "$(svc_get missing error)" = "volumes: $T/nope: No such file or directory" ]
	wait_for_state through failed 10
	[ "$(svc_get through error)" = "volumes: /opt/a/l/x: a symlink in the path" ]
	# nothing was created on the host through the link
	[ ! -e /etc/x ]
}

@test "volumes: --check refuses sensitive sources and reserved destinations, also after .." {
	for v in /:/data /etc:/data /proc/1:/data /run/x:/data /tmp/../etc:/data /data:/usr/x \
		/data:/run/secrets/x /data:/ /data:/dev/x /data:/opt/../etc; do
		write_manifest <<EOF
[service.v]
exec = /bin/true
volumes = $v
EOF
		run "$NUC_INIT" --check --manifest "$M"
		[ "$status" -eq 1 ]
		[[ "$output" == *"is refused (under "* ]]
	done
}

@test "volumes: read-only unless :rw, nosuid,nodev always; tmpfs with its size" {
	mkdir "$T/ro" "$T/rw"
	write_manifest <<EOF
[service.v]
exec = /bin/sh -c "touch /ro/f 2>/dev/null && echo ro-writable; touch /rw/f && echo rw-ok; cat /proc/self/mountinfo"
volumes = $T/ro:/ro $T/rw:/rw:rw tmpfs:/scratch:2M
type = oneshot
stdout = file:$T/v.out
EOF
	nuc_start
	oneshot_output v "$T/v.out"
	refute grep -q ro-writable "$T/v.out"
	grep -q rw-ok "$T/v.out"
	[ -e "$T/rw/f" ]
	mi() { awk -v p="$1" '$5 == p { print }' "$T/v.out" | tail -1; }
	[[ "$(mi /ro)" == *" ro,nosuid,nodev"* ]]
	[[ "$(mi /rw)" == *" rw,nosuid,nodev"* ]]
	[[ "$(mi /scratch)" == *"size=2048k"* ]]
}

@test "secrets: a private read-only copy, owned by the service user with its mode" {
	printf 's3cret\n' >"$T/db.pw"
	chmod 600 "$T/db.pw"
	write_manifest <<EOF
[service.s]
exec = /bin/sh -c "stat -c '%a %U' /run/secrets/db /run/secrets/app/key; cat /run/secrets/db; cat /proc/self/mountinfo; sleep 100"
user = nobody
secrets = $T/db.pw:db $T/db.pw:/run/secrets/app/key:0440
stdout = file:$T/s.out
EOF
	nuc_start
	wait_for_state s ready 10
	outputs_written
	wait_until 5 grep -q secrets "$T/s.out"
	cat "$T/s.out"
	[ "$(sed -n 1p "$T/s.out")" = "400 nobody" ]
	[ "$(sed -n 2p "$T/s.out")" = "440 nobody" ]
	[ "$(sed -n 3p "$T/s.out")" = s3cret ]
	line=$(awk '$5 == "/run/secrets"' "$T/s.out")
	[[ "$line" == *" ro,nosuid,nodev,noexec"*" - tmpfs "* ]]
}

@test "secrets: a symlink, a directory, a fifo and a missing file are refused" {
	printf 'x\n' >"$T/real"
	ln -s "$T/real" "$T/link"
	mkdir "$T/dir"
	mkfifo "$T/fifo"
	write_manifest <<EOF
[service.link]
exec = /bin/true
secrets = $T/link:x
restart = never

[service.dir]
exec = /bin/true
secrets = $T/dir:x
restart = never

[service.fifo]
exec = /bin/true
secrets = $T/fifo:x
restart = never

[service.missing]
exec = /bin/true
secrets = $T/missing:x
restart = never
EOF
	nuc_start
	for s in link dir fifo missing; do wait_for_state $s failed 10; done
	[ "$(svc_get link error)" = "secrets: $T/link: is a symlink (refused)" ]
	[ "$(svc_get dir error)" = "secrets: $T/dir: not a regular file (refused)" ]
	[ "$(svc_get fifo error)" = "secrets: $T/fifo: not a regular file (refused)" ]
	[ "$(svc_get missing error)" = "secrets: $T/missing: No such file or directory" ]
}

@test "each failing setup step names itself in error" {
	write_manifest <<EOF
[service.root]
exec = /bin/true
root = $T/no-root
restart = never

[service.user]
exec = /bin/true
user = no-such-user
restart = never

[service.exec]
exec = /no/such/binary
restart = never

[service.profile]
exec = /bin/true
seccomp = $T/no-profile
restart = never
EOF
	nuc_start
	for s in root user exec profile; do wait_for_state $s failed 10; done
	[ "$(svc_get root error)" = "root: $T/no-root: No such file or directory" ]
	[[ "$(svc_get user error)" == "user: user 'no-such-user' not found in "* ]]
	[ "$(svc_get exec error)" = "exec: /no/such/binary: No such file or directory" ]
	[ "$(svc_get exec exit_status)" = 127 ]
	[[ "$(svc_get profile error)" == "seccomp: $T/no-profile: No such file or directory"* ]]
	grep -q "root: $T/no-root: No such file or directory" "$LOG"
}

@test "a non-root user keeps exactly NET_BIND_SERVICE and binds port 80; without it, it cannot" {
	write_manifest <<EOF
[service.web]
exec = /nuc/nhelper listen 80
user = nobody
capabilities = NET_BIND_SERVICE
volumes = $VOL
ready = tcp:127.0.0.1:80
ready_timeout = 5s

[service.caps]
exec = /bin/sh -c "grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb)' /proc/self/status"
user = nobody
capabilities = NET_BIND_SERVICE
type = oneshot
stdout = file:$T/caps.out

[service.nocap]
exec = /nuc/nhelper listen 81
user = nobody
volumes = $VOL
restart = never
EOF
	nuc_start_netns
	wait_for_state web ready 10
	wait_for_state caps exited 10
	outputs_written
	cat "$T/caps.out"
	[ "$(awk '{print $2}' "$T/caps.out" | sort -u)" = 0000000000000400 ]
	[ "$(wc -l <"$T/caps.out")" -eq 5 ]
	wait_for_state nocap exited 10
	[ "$(svc_get nocap exit_status)" = 2 ]
	grep -q "nocap: nhelper: listen: cannot listen on the port" "$LOG"
}

@test "no_new_privileges: a setuid-root binary does not make its caller root" {
	mkdir -p "$T/root/bin"
	cp "$NHELPER" "$T/root/bin/suid"
	chmod 4755 "$T/root/bin/suid"
	write_manifest <<EOF
[service.nnp]
exec = /bin/suid euid
root = $T/root
user = 65534
type = oneshot
stdout = file:$T/nnp.out

[service.plain]
exec = /bin/suid euid
root = $T/root
user = 65534
no_new_privileges = no
type = oneshot
stdout = file:$T/plain.out
EOF
	nuc_start
	wait_for_state nnp exited 10
	wait_for_state plain exited 10
	outputs_written
	[ "$(cat "$T/nnp.out")" = 65534 ]
	# the control: without no_new_privs the setuid bit works
	[ "$(cat "$T/plain.out")" = 0 ]
}

@test "root = DIR: the directory is the read-only root" {
	mkdir -p "$T/root/bin"
	cp "$NHELPER" "$T/root/bin/nhelper"
	echo hello >"$T/root/greeting"
	write_manifest <<EOF
[service.r]
exec = /bin/nhelper require /greeting
root = $T/root
type = oneshot
stdout = file:$T/r.out

[service.w]
exec = /bin/nhelper touch /new
root = $T/root
type = oneshot
restart = never
EOF
	nuc_start
	wait_for_state r exited 10
	outputs_written
	[ "$(cat "$T/r.out")" = "found /greeting" ]
	wait_for_state w failed 10
	[ ! -e "$T/root/new" ]
}

@test "user namespace: root inside is an unprivileged host uid" {
	write_manifest <<EOF
[service.u]
exec = /bin/sh -c "id -u; cat /proc/self/uid_map; exec sleep 100"
namespaces = mount pid ipc uts user
stdout = file:$T/u.out
EOF
	nuc_start
	wait_for_state u ready 10
	outputs_written
	wait_until 5 grep -q ' 65536$' "$T/u.out"
	cat "$T/u.out"
	[ "$(head -1 "$T/u.out")" = 0 ]
	base=$(awk 'NR == 2 { print $2 }' "$T/u.out")
	[ "$base" -ge 65536 ]
	# seen from the host, every process of the service runs as that uid
	# (nucleus-logd, PID 1's writer of the file: output, is not the service's)
	uids=$(for p in $(tree_procs); do
		[ "$(tr '\0' '\n' <"/proc/$p/cmdline" | head -1)" = nucleus-logd ] && continue
		awk '/^Uid:/ { print $2 }' "/proc/$p/status"
	done | sort -u)
	[ "$uids" = "$base" ]
}

@test "network = none: only lo, up; nothing outside is reachable" {
	write_manifest <<EOF
[service.host]
isolate = no
exec = $NHELPER listen 8124
ready = tcp:127.0.0.1:8124

[service.none]
exec = /bin/sh -c "ls /sys/class/net; cat /sys/class/net/lo/operstate; busybox nc -w 1 127.0.0.1 8124 </dev/null && echo reached || echo unreachable"
network = none
after = host
type = oneshot
stdout = file:$T/none.out
EOF
	nuc_start_netns
	wait_for_state none exited 10
	outputs_written
	cat "$T/none.out"
	[ "$(sed -n 1p "$T/none.out")" = lo ]
	[ "$(sed -n 2p "$T/none.out")" = unknown ]
	[ "$(sed -n 3p "$T/none.out")" = unreachable ]
}

@test "uts: the hostname is the service's name, or hostname" {
	write_manifest <<EOF
[service.named]
exec = /bin/sh -c "cat /proc/sys/kernel/hostname"
type = oneshot
stdout = file:$T/a.out

[service.other]
exec = /bin/sh -c "cat /proc/sys/kernel/hostname"
hostname = box-7
type = oneshot
stdout = file:$T/b.out
EOF
	host_before=$(hostname)
	nuc_start
	wait_for_state named exited 10
	wait_for_state other exited 10
	outputs_written
	[ "$(cat "$T/a.out")" = named ]
	[ "$(cat "$T/b.out")" = box-7 ]
	[ "$(hostname)" = "$host_before" ]
}

@test "probes: an exec probe runs in the service's root; a tcp probe in its network" {
	write_manifest <<EOF
[service.files]
exec = /bin/sh -c "sleep 0.3; touch /tmp/ready-flag; exec sleep 100"
ready = exec:/bin/test -e /tmp/ready-flag
ready_timeout = 5s

[service.net]
exec = /nuc/nhelper listen 8125
network = none
volumes = $VOL
ready = tcp:127.0.0.1:8125
ready_timeout = 5s
EOF
	nuc_start_netns
	wait_for_state files ready 10
	wait_for_state net ready 10
	# the flag lives only in the service's private /tmp
	[ ! -e /tmp/ready-flag ]
}

@test "seccomp: default denies mount even with CAP_SYS_ADMIN; seccomp_allow, none and a profile change that" {
	cat >"$T/profile" <<-EOF
		# everything but mkdir
		default allow
		mkdir errno:EACCES
		mkdirat errno:EACCES
	EOF
	write_manifest <<EOF
[service.deflt]
exec = /bin/sh -c "mkdir -p /tmp/m && mount -t tmpfs none /tmp/m 2>&1 && echo mounted || echo refused"
capabilities = SYS_ADMIN
type = oneshot
stdout = file:$T/deflt.out

[service.allowed]
exec = /bin/sh -c "mkdir -p /tmp/m && mount -t tmpfs none /tmp/m && echo mounted"
capabilities = SYS_ADMIN
seccomp_allow = mount
# Landlock (on by default where the kernel has it) forbids any mount
landlock = no
type = oneshot
stdout = file:$T/allowed.out

[service.nofilter]
exec = /bin/sh -c "mkdir -p /tmp/m && mount -t tmpfs none /tmp/m && echo mounted"
capabilities = SYS_ADMIN
seccomp = none
landlock = no
type = oneshot
stdout = file:$T/nofilter.out

[service.profiled]
exec = /bin/sh -c "mkdir /tmp/d 2>&1; echo rc=\$?"
seccomp = $T/profile
type = oneshot
stdout = file:$T/profiled.out
EOF
	nuc_start
	for s in deflt allowed nofilter profiled; do wait_for_state $s exited 10; done
	outputs_written
	grep -q refused "$T/deflt.out"
	grep -qi 'permission denied' "$T/deflt.out"
	[ "$(cat "$T/allowed.out")" = mounted ]
	[ "$(cat "$T/nofilter.out")" = mounted ]
	grep -q 'Permission denied' "$T/profiled.out"
	grep -q 'rc=1' "$T/profiled.out"
}

@test "--check: isolate = no as root warns; a broken seccomp profile is an error" {
	printf 'not_a_syscall\n' >"$T/bad"
	write_manifest <<EOF
[service.open]
isolate = no
exec = /bin/true

[service.nobody]
isolate = no
user = nobody
exec = /bin/true

[service.bad]
exec = /bin/true
seccomp = $T/bad
EOF
	run "$NUC_INIT" --check --manifest "$M"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$M:2: warning: open: isolate = no as root"* ]]
	[[ "$output" != *"nobody: isolate"* ]]
	[[ "$output" == *"bad: seccomp: $T/bad:1: "* ]]
}

@test "seccomp: an edited profile file applies at the next start" {
	printf 'default allow\nmkdir errno:EACCES\nmkdirat errno:EACCES\n' >"$T/profile"
	write_manifest <<EOF2
[service.p]
exec = /bin/sh -c "mkdir /tmp/d && echo made || echo refused"
seccomp = $T/profile
type = oneshot
stdout = file:$T/p.out
EOF2
	nuc_start
	wait_for_state p exited 10
	outputs_written
	[ "$(cat "$T/p.out")" = refused ]
	printf 'default allow\n' >"$T/profile"
	ctl restart p
	wait_for_state p exited 10
	[ "$(tail -1 "$T/p.out")" = made ]
}

# ---- issue 11: sizes, limits, root = DIR ----

# SIZE in KiB of the tmpfs at mount point MP, from a mountinfo dump
tmpfs_kib() { # FILE MP
	awk -v mp="$2" '$5 == mp { for (i = 1; i <= NF; i++) if ($i == "-") { print $(i + 3); exit } }' "$1" |
		tr ',' '\n' | sed -n 's/^size=\([0-9]*\)k$/\1/p'
}

@test "private tmpfs mounts have a size: /tmp, /dev/shm and tmpfs volumes 64M, /run 16M; the keys change them; memlock is 64K" {
	write_manifest <<EOF
[service.dflt]
exec = /bin/sh -c "cat /proc/self/mountinfo; echo ---; dd if=/dev/zero of=/tmp/big bs=1M count=80 2>&1 | grep -c 'No space left'; ulimit -l"
type = oneshot
volumes = tmpfs:/scratch
stdout = file:$T/dflt.out

[service.small]
exec = /bin/sh -c "cat /proc/self/mountinfo; echo ---; ulimit -l"
type = oneshot
volumes = tmpfs:/v:4M
tmp_size = 8M
run_size = 1M
shm_size = 2M
memlock = 1M
stdout = file:$T/small.out
EOF
	nuc_start
	wait_for_state dflt exited 15
	wait_for_state small exited 10
	[ "$(tmpfs_kib "$T/dflt.out" /tmp)" = 65536 ]
	[ "$(tmpfs_kib "$T/dflt.out" /dev/shm)" = 65536 ]
	[ "$(tmpfs_kib "$T/dflt.out" /scratch)" = 65536 ]
	[ "$(tmpfs_kib "$T/dflt.out" /run)" = 16384 ]
	# inodes are bounded too: one per KiB
	grep -E ' /tmp .*nr_inodes=65536' "$T/dflt.out"
	# 80 MiB do not fit into the 64 MiB /tmp
	[ "$(sed -n '/^---$/{n;p}' "$T/dflt.out")" = 1 ]
	[ "$(tail -1 "$T/dflt.out")" = 64 ]
	[ "$(tmpfs_kib "$T/small.out" /tmp)" = 8192 ]
	[ "$(tmpfs_kib "$T/small.out" /run)" = 1024 ]
	[ "$(tmpfs_kib "$T/small.out" /dev/shm)" = 2048 ]
	[ "$(tmpfs_kib "$T/small.out" /v)" = 4096 ]
	[ "$(tail -1 "$T/small.out")" = 1024 ]
}

@test "tmp_size, run_size and shm_size need the mount namespace; bad sizes are --check errors" {
	write_manifest <<EOF
[service.a]
exec = /bin/true
isolate = no
tmp_size = 8M

[service.b]
exec = /bin/true
namespaces = pid ipc uts
shm_size = 1M

[service.c]
exec = /bin/true
run_size = lots
EOF
	run "$NUC_INIT" --check --manifest "$M"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"$M:3: a: isolate = no runs in the host's namespaces"*"tmp_size"* ]]
	[[ $output == *"$M:6: b: root, volumes, secrets, tmp_size, run_size and shm_size need the mount namespace"* ]]
	[[ $output == *"$M:13: c: run_size: invalid value 'lots'"* ]]
}

@test "root = DIR is nodev always, nosuid unless no_new_privileges = no" {
	mkdir -p "$T/root/bin" "$T/root/proc" "$T/root/dev"
	cp "$NHELPER" "$T/root/bin/nhelper"
	mknod -m 666 "$T/root/null" c 1 3
	write_manifest <<EOF
[service.dev]
exec = /bin/nhelper cat /null
root = $T/root
type = oneshot
restart = never
stdout = file:$T/dev.out

[service.flags]
exec = /bin/nhelper cat /proc/self/mountinfo
root = $T/root
type = oneshot
stdout = file:$T/flags.out

[service.suid]
exec = /bin/nhelper cat /proc/self/mountinfo
root = $T/root
no_new_privileges = no
type = oneshot
stdout = file:$T/suid.out
EOF
	nuc_start
	wait_for_state dev failed 10
	outputs_written
	cat "$T/dev.out"
	# a device node of the directory cannot be opened
	grep -qx '/null: Permission denied' "$T/dev.out"
	wait_for_state flags exited 10
	wait_for_state suid exited 10
	outputs_written
	grep -E '^[0-9]+ [0-9]+ [0-9:]+ [^ ]+ / ro,nosuid,nodev' "$T/flags.out"
	grep -E '^[0-9]+ [0-9]+ [0-9:]+ [^ ]+ / ro,nodev' "$T/suid.out"
}

@test "root = DIR must be a directory once its symlinks are resolved, and not a system one" {
	touch "$T/afile"
	ln -s /etc "$T/etc-link"
	write_manifest <<EOF
[service.file]
exec = /bin/true
root = $T/afile
restart = never

[service.link]
exec = /bin/true
root = $T/etc-link
restart = never
EOF
	nuc_start
	wait_for_state file failed 10
	wait_for_state link failed 10
	[ "$(svc_get file error)" = "root: $T/afile: not a directory" ]
	[ "$(svc_get link error)" = "root: $T/etc-link: resolves to /etc, under the refused /etc" ]
	# and what --check can tell from the name alone
	printf '[service.r]\nexec = /bin/true\nroot = /\n[service.s]\nexec = /bin/true\nroot = /etc\n' >"$T/c.ini"
	run "$NUC_INIT" --check --manifest "$T/c.ini"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"c.ini:3: r: root: invalid value '/': / is refused (under /)"* ]]
	[[ $output == *"c.ini:6: s: root: invalid value '/etc': /etc is refused (under /etc)"* ]]
}

@test "volumes: /sbin, /lib64, /lib32, /libx32 and /boot are refused destinations like /lib and /usr" {
	for d in /sbin/x /lib64 /lib32/y /libx32 /boot/efi; do
		printf '[service.v]\nexec = /bin/true\nvolumes = /srv:%s\n' "$d" >"$T/v.ini"
		run "$NUC_INIT" --check --manifest "$T/v.ini"
		echo "$output"
		[ "$status" -eq 1 ]
		[[ $output == *"destination $d is refused"* ]]
	done
}

# (a negative oom_score_adj needs CAP_SYS_RESOURCE, which this test host's root
# may lack: the guest's demo checks that one)
@test "user namespace: ready = notify works (PID 1 gives the socket to the service's host id) and oom_score_adj is set" {
	write_manifest <<EOF
[service.u]
exec = /bin/sh -c "cat /proc/self/oom_score_adj; exec /nuc/nhelper notify 100 READY=1"
stdout = file:$T/u.out
namespaces = mount pid ipc uts user
volumes = $VOL
ready = notify
ready_timeout = 5s
oom_score_adj = 500
EOF
	nuc_start
	wait_for_state u ready 10
	outputs_written
	base=$(stat -c %u "$RUN/notify/u")
	[ "$base" -ge 65536 ]
	[ "$(cat "$T/u.out")" = 500 ]
}
