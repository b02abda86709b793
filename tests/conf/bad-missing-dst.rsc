/ip traffic-flow target
add dst-address=192.0.2.10
add port=9995 version=5
