# SPDX-License-Identifier: BSD-2-Clause
# The smallest useful tflow config: watch every interface, send NetFlow v9
# to one collector.  Everything not named here keeps its RouterOS default.
/ip traffic-flow
set enabled=yes
/ip traffic-flow target
add dst-address=192.0.2.10
