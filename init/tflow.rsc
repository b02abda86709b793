# /etc/tflow/tflow.rsc: RouterOS defaults, capture disabled until enabled=yes.
/ip traffic-flow
set enabled=no interfaces=all cache-entries=4k active-flow-timeout=30m \
    inactive-flow-timeout=15s packet-sampling=no sampling-interval=0 sampling-space=0
