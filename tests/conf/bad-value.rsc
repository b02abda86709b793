/ip traffic-flow
set enabled=yes interfaces=all \
    cache-entries=32M
