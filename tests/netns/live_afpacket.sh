#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Live capture on the AF_PACKET ring (TPACKET_V3, fanout over workers):
# the checks of live_lib.sh, plus the same traffic with two workers.
CAPTURE=afpacket
. "$(dirname "$0")/live_lib.sh"
live_main
