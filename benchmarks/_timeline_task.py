"""A Hogwild task that logs when it ran (``timeline_hogwild.py``; workers import it by name)."""

import json
import os
import time

from skw2v._fitting import parallel

ENV = "SKW2V_TIMELINE_LOG"
_train = parallel.train_slice_in_place


def logged(W_in, W_out, ids, offsets, start, stop, *args, **kwargs):
    """``train_slice_in_place``, then one line of JSON appended to the log file."""
    t0, c0 = time.time(), time.process_time()
    result = _train(W_in, W_out, ids, offsets, start, stop, *args, **kwargs)
    with open(os.environ[ENV], "a") as fh:
        fh.write(json.dumps({"pid": os.getpid(), "t0": t0, "t1": time.time(),
                             "cpu": time.process_time() - c0, "a": int(start),
                             "b": int(stop)}) + "\n")
    return result
