/ip traffic-flow
set enabled=yes
/ip traffic-flow target
add dst-address=192.0.2.10 port=2055
/ip traffic-flow ipfix
set bytes=yes packet-count=no
