# Used by scripts/quickstart.sh: RouterOS defaults but shorter timeouts,
# so the demo capture shows idle, active and FIN-ended records.
/ip traffic-flow
set enabled=yes interfaces=all cache-entries=4k active-flow-timeout=30s \
    inactive-flow-timeout=15s packet-sampling=no
