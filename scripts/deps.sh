#!/bin/sh
# Installs the Debian packages taskprof builds and tests with, if missing,
# and any extra ones named on the command line (make bench adds bpftrace).
# The tests run strace and gdb inside profiled tasks, boot systemd (in
# namespaces of their own) to run the unit under it, open the HTML report
# in headless Chromium (driven by Debian's python3), and build a Rust
# target: rustup's rustc will do, else Debian's is installed. The fleet
# tests start Debian's PostgreSQL 15 and Prometheus in temporary directories.
set -e
PKGS="make gcc g++ clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libsqlite3-dev sqlite3
      libcmocka-dev libcapstone-dev libinih-dev libsystemd-dev libpq-dev libmicrohttpd-dev
      pkg-config binutils strace gdb postgresql prometheus python3-psycopg2 curl iproute2
      systemd util-linux python3 python3-pandas chromium fonts-dejavu-core $*"
if ! command -v rustc >/dev/null 2>&1 && ! [ -x "$HOME/.cargo/bin/rustc" ]; then
	PKGS="$PKGS rustc"
fi
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "taskprof: missing packages:$missing: install them with sudo apt-get install$missing" >&2
	exit 1
fi
echo "taskprof: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends $missing >/dev/null
