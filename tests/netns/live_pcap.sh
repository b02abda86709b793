#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Live capture through libpcap (capture=pcap): the checks of live_lib.sh.
CAPTURE=pcap
. "$(dirname "$0")/live_lib.sh"
if [ -n "${TFLOW_SRCDIR:-}" ] &&
    ! grep -q 'cap_pcap\.c' "$TFLOW_SRCDIR/Makefile.am"; then
	skip "the libpcap backend (cap_pcap.c) is not built yet"
fi
live_main
