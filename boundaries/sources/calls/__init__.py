"""Phone sources (sources.md §8): what comes in from a phone, turned into `core.calls` events.

`events` reads the JSON-lines event stream (a file, `-`, a FIFO), `fritzbox` the FRITZ!Box
call monitor (TCP port 1012, with reconnect); `lines` is their bounded line reader and skip
count, `state` how a source says whether it is connected. Following a call through its
events is the core's `CallBook`; deciding and recording is the service's.
"""
