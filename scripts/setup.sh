#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Installs what tflow builds and tests with (Debian 12, as root), then
# builds it out of tree in ./build.  Idempotent: a second run only rebuilds.
# Usage: scripts/setup.sh [extra configure arguments]
set -eu
cd "$(dirname "$0")/.."

# Build and unit-test dependencies; the independent decoders the export
# tests use as oracles (tshark, nfcapd/nfdump, pmacct's nfacctd); clang with
# libFuzzer for the bounded fuzz run; the peer the benchmark compares
# against (softflowd, fprobe; tcpreplay drives the live benchmark);
# zstd compresses stored flows; nftables sets up the NFLOG test.
PKGS="build-essential autoconf automake autoconf-archive pkg-config
      libpcap-dev libnl-3-dev libnl-route-3-dev libmnl-dev libcmocka-dev
      tshark nfdump pmacct clang libclang-rt-14-dev
      libzstd-dev nftables tcpreplay fprobe
      softflowd tcpdump iproute2 iputils-ping procps bc"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "setup: missing packages:$missing; run as root or install them" >&2
		exit 1
	fi
	echo "setup: installing$missing"
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
fi

[ -x configure ] && [ configure -nt configure.ac ] && [ configure -nt Makefile.am ] ||
	autoreconf -fi
mkdir -p build
cd build
[ -f Makefile ] || ../configure -q "$@"
make -j"$(nproc)"
