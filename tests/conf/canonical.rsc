/ip traffic-flow
set enabled=yes interfaces=eth0,eth1 cache-entries=128k active-flow-timeout=30m \
    inactive-flow-timeout=15s packet-sampling=no sampling-interval=0 \
    sampling-space=0
/ip traffic-flow target
add dst-address=192.0.2.10 port=2055 version=9
add dst-address=192.0.2.11 port=9995 version=5
add dst-address=2001:db8::10 port=4739 version=ipfix src-address=2001:db8::1 \
    v9-template-refresh=10 v9-template-timeout=1m disabled=yes
/ip traffic-flow ipfix
set nat-events=no tcp-seq-num=no
