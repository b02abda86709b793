/ip traffic-flow target
add dst-address=192.0.2.10 src-address="192.0.2.1
