"""The garbage collector of a long-running process (`ykt serve`, a gunicorn worker, `ykt
worker`), settled once it has loaded what it keeps for its life.

Python's cycle collector walks, in its full collection, every container object the process
holds: the modules, the application and what they made at import (about 200,000 objects
in a serving process), though none of them is ever garbage. A page that builds many objects
(the 督办 page scores every township of a province) set off one or two full collections a
request, 0.2–0.25 s each, and about 190 collections in all: half its CPU. Two settings of
the standard library's collector (the `gc` module), applied once after start-up:

- `gc.freeze()` moves everything alive at that moment out of the collector's reach for the
  rest of the process (nothing of it is freed: it lives as long as the process anyway). With
  gunicorn's `--preload` it also spares the forked workers the copies the collector's own
  writes would make of those objects' pages (their reference counts still write to some).
- The first generation is collected after 10,000 new containers instead of 700: a request
  makes far more than 700, and collecting them young only to find them still in use cost
  more than the collection saves; the garbage they become is collected as before.

On the province the 督办 page's CPU fell from 550–580 ms to 240–370 ms (docs/scale.md)."""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000  # new container objects between collections of the first generation


def settle_after_start() -> None:
    """Collect what start-up left over, freeze the rest, and collect the young less often.
    Called before a process starts its scheduler, so that nothing a tick holds is frozen."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)
