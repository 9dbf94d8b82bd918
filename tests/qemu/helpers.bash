# shellcheck shell=bash
# shellcheck disable=SC2034 # IMG, PORT, ... are read by the test files
# Helpers of the qemu tests: images built from a manifest, guests booted with
# qemu/run in the background (qemu/lib.sh), the guest's state asked through
# its control port (nucleusctl --connect: wait, status, exec).
#
# A test file does:
#	load helpers
#	setup_file() { qt_setup_file; }
#	teardown_file() { qt_teardown_file; }
#	teardown() { qt_teardown; }

QT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bats_require_minimum_version 1.5.0
# shellcheck source=qemu/lib.sh
. "$QT_ROOT/qemu/lib.sh"

# refute CMD...: CMD must fail (a bare `! CMD` never fails a bats test).
refute() {
	if "$@"; then
		echo "unexpectedly succeeded: $*" >&2
		return 1
	fi
}

# Once per file: the kernel, a private copy of nucleus-init (from
# $NUC_BUILD_DIR, default build/; others may rebuild build/ meanwhile), a short work directory (QMP socket paths must
# fit in 108 bytes).
qt_setup_file() {
	"$QT_ROOT/image/get-kernel" >&2
	QT_DIR=$(mktemp -d /tmp/nq.XXXXXX)
	local src=${NUC_BUILD_DIR:-$QT_ROOT/build}/nucleus-init
	if [ ! -x "$src" ]; then
		echo "missing $src: run make first" >&2
		return 1
	fi
	cp "$src" "$QT_DIR/nucleus-init"
	ln -s nucleus-init "$QT_DIR/nucleusctl"
	cp "$(dirname "$src")/nhelper" "$QT_DIR/nhelper"
	export QT_DIR
	export NUCLEUS_INIT=$QT_DIR/nucleus-init
	# the host side of the control port: the same build as the guest's init
	export NUCLEUSCTL=$QT_DIR/nucleusctl
	export NHELPER=$QT_DIR/nhelper
}

qt_teardown_file() {
	[ -n "${QT_DIR:-}" ] && [ -d "$QT_DIR" ] && rm -rf "$QT_DIR"
	return 0
}

# Per test: end a guest still running; keep its console in bats' output
# when the test failed.
qt_teardown() {
	if [ -n "${VM:-}" ]; then
		vm_kill
		if [ -z "${BATS_TEST_COMPLETED:-}" ]; then
			echo "--- console of $VM:"
			tail -n 60 "$VM/run.log" 2>/dev/null || true
		fi
	fi
	return 0
}

# qt_image NAME MANIFEST_FILE [mkimage args]: IMG is $QT_DIR/NAME.cpio.gz
qt_image() {
	local name=$1 manifest=$2
	shift 2
	IMG=$QT_DIR/$name.cpio.gz
	"$QT_ROOT/image/mkimage" -m "$manifest" -o "$IMG" "$@" >"$QT_DIR/$name.mkimage.log" 2>&1 || {
		cat "$QT_DIR/$name.mkimage.log" >&2
		return 1
	}
}

# qt_boot NAME [qemu/run args]: boot $IMG; the guest's directory is $QT_DIR/NAME
qt_boot() {
	local name=$1
	shift
	vm_boot "$QT_DIR/$name" "$IMG" --timeout "${QT_TIMEOUT:-120}" "$@"
}

# A TCP port nothing listens on: PORT.
qt_free_port() {
	local p
	for _ in $(seq 1 50); do
		p=$((20000 + RANDOM % 20000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			PORT=$p
			return 0
		fi
	done
	return 1
}

# http_get PORT PATH: the response (headers and body) of GET over bash's
# /dev/tcp; no curl or wget needed.
http_get() {
	# shellcheck disable=SC2016 # the inner script gets its own arguments
	timeout 10 bash -c '
		exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		printf "GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n" "$2" >&3
		cat <&3' _ "$1" "$2"
}

# wait_http PORT PATH PATTERN [TIMEOUT]: retry GET until the response matches.
wait_http() {
	local deadline=$(($(date +%s) + ${4:-60})) out
	while :; do
		out=$(http_get "$1" "$2" 2>/dev/null || true)
		if printf '%s' "$out" | grep -qE -- "$3"; then
			HTTP_OUT=$out
			return 0
		fi
		if [ "$(date +%s)" -ge "$deadline" ] || [ -e "$VM/status" ]; then
			echo "wait_http: no /$3/ from port $1 within ${4:-60}s; last response:" >&2
			printf '%s\n' "$out" >&2
			return 1
		fi
		sleep 0.5
	done
}

# svc_re NAME STATE: an ERE matching the service's entry in the status JSON.
svc_re() {
	printf '"name": ?"%s", ?"state": ?"%s"' "$1" "$2"
}

# wait_state NAME STATE [TIMEOUT]: NAME is in STATE (nucleusctl wait, over
# the control port: answered when the state comes, or fails at once when
# the service failed instead).
wait_state() {
	vm_ctl wait --timeout "${3:-60}s" --state "$2" "$1"
}

# wait_status ERE [TIMEOUT]: a line of `status --json` matches.
wait_status() {
	local deadline=$(($(date +%s) + ${2:-60}))
	while ! vm_status_json 2>/dev/null | grep -qE -- "$1"; do
		if [ "$(date +%s)" -ge "$deadline" ] || [ -e "$VM/status" ]; then
			echo "wait_status: no /$1/ in the status within ${2:-60}s:" >&2
			vm_status_json >&2 || true
			return 1
		fi
		sleep 0.2
	done
}

# line_of PATTERN: the first console line number matching the ERE (or 0);
# the serial console ends lines with CR LF, the CRs are dropped first.
line_of() {
	local n
	n=$(tr -d '\r' <"$VM/console.log" | grep -nE -m1 -- "$1" | cut -d: -f1)
	echo "${n:-0}"
}
