"""What every entry point does around its imports, for a shorter cold start (`make bench`).

- No garbage collection while importing: the imports allocate hundreds of thousands of objects
  and nothing is garbage yet, so a full collection then is wasted time (about 30 ms); afterwards
  what was imported is frozen out of every later collection.
- No pydantic plugins: we use none, and looking for them reads the metadata of every installed
  package when the first model is built.

`begin()` comes before a handler's other imports, `end()` after them.
"""

from __future__ import annotations

import gc
import os


def begin() -> None:
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    gc.disable()


def end() -> None:
    gc.freeze()
    gc.enable()
