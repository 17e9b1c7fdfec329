import gc

from exchange import create_app

app = create_app()
# Everything loaded at start-up lives as long as the process: keep it out of the garbage
# collector's full passes, which otherwise walk it on every request that allocates a lot
# (the sharing network's grouped rows), adding pauses of tens of milliseconds.
gc.freeze()
