# traffic flow, misspelt
/ip traffic-flow
set enabled=yes
/ip trafic-flow target
add dst-address=192.0.2.10
