"""FirstStop's action server entry point: `python -m rasa_sdk` (same arguments) on loopback, without
TensorFlow, with the knowledge loaded before the server answers its health check.

spaCy imports thinc, and thinc imports TensorFlow whenever it is installed (Rasa installs it), although the
project's pipeline (blank English, lookup lemmas, an EntityRuler) never uses it: that import alone costs
several seconds and about 450 MB per action server. Blocking it keeps the action server small, and loading
the knowledge up front spares the first visitor a wait of several seconds.
"""
from __future__ import annotations

import logging
import os
import sys
import time

log = logging.getLogger(__name__)


def block_tensorflow() -> None:
    """Make `import tensorflow` fail in this process, so thinc runs without it (as when it isn't installed)."""
    if "tensorflow" not in sys.modules:
        sys.modules["tensorflow"] = None  # type: ignore[assignment]


def load_knowledge() -> None:
    """Build the knowledge index and router now rather than on the first visitor's message."""
    from actions import services

    started = time.monotonic()
    try:
        services.knowledge()
    except Exception:  # the actions report it to the visitor; the server must still start
        log.exception("could not load the knowledge before starting; it will be retried on the first message")
        return
    print(f"knowledge loaded in {time.monotonic() - started:.1f} s", flush=True)


def main() -> None:
    """Run the rasa_sdk action server command line, on loopback unless SANIC_HOST says otherwise."""
    os.environ.setdefault("SANIC_HOST", "127.0.0.1")  # rasa_sdk's own default is 0.0.0.0
    block_tensorflow()
    load_knowledge()
    from rasa_sdk.__main__ import main as sdk_main

    sdk_main()


if __name__ == "__main__":
    main()
