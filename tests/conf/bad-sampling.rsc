/ip traffic-flow
set enabled=yes sampling-interval=0
set packet-sampling=yes
