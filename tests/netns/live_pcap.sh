#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Live capture through libpcap (capture=pcap): the checks of live_lib.sh.
NAME=live_pcap
CAPTURE=pcap
. "$(dirname "$0")/live_lib.sh"
if [ -n "${TFLOW_SRCDIR:-}" ] &&
    ! grep -q 'cap_pcap\.c' "$TFLOW_SRCDIR/Makefile.am"; then
	say "SKIP: the libpcap backend (cap_pcap.c) is not built yet"
	exit 77
fi
live_main
