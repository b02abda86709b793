# 2024-05-14 10:21:07 by RouterOS 7.14.3
# software id = 9XKQ-4TZR
#
# model = RB5009UG+S+
# serial number = HEX0A1B2C3D4
#
# Pasted as RouterOS prints it (properties in its order, one-line forms,
# v6 `address=` and v7 `/ip/...` spellings mixed in on purpose).
/ip traffic-flow
set active-flow-timeout=1h30m cache-entries=128k enabled=yes \
    inactive-flow-timeout=00:00:20 interfaces=ether1,bridge1,vlan100 \
    packet-sampling=yes sampling-interval=2 sampling-space=8
/ip traffic-flow ipfix
set nat-events=no tcp-ack-num=no tcp-seq-num=no tcp-window-size=no

/ip traffic-flow target
add dst-address=192.0.2.10 version=ipfix
add dst-address=2001:db8::10 port=4739 src-address=2001:db8::1 \
    v9-template-refresh=10 v9-template-timeout=1m version=9
# RouterOS v6 exports spell the collector as address=IP:PORT
add address=192.0.2.11:9995 disabled=yes version=5
/ip/traffic-flow/target/add dst-address=198.51.100.7 port=2056 version=1 # legacy box
