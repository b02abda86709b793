# Used by scripts/quickstart.sh: RouterOS defaults but shorter timeouts, so
# the demo capture shows idle, active and FIN-ended records, exported as
# NetFlow v9 to a tflow-collector on loopback.
/ip traffic-flow
set enabled=yes interfaces=all cache-entries=4k active-flow-timeout=30s \
    inactive-flow-timeout=15s packet-sampling=no
/ip traffic-flow target
add dst-address=127.0.0.1 port=29955 version=9
