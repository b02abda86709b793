/ip traffic-flow
set enabled=yes active-flow-timeout=30m extra
