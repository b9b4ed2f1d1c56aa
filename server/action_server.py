"""FirstStop's action server entry point: `python -m rasa_sdk` (same arguments) on loopback, without
TensorFlow, with the knowledge loaded before the server answers its health check.

spaCy imports thinc, and thinc imports TensorFlow whenever it is installed (Rasa installs it), although the
project's pipeline (blank language, lookup lemmas, the cluster terms) never uses it: that import alone costs
several seconds and about 450 MB per action server. Blocking it keeps the action server small, and loading
the knowledge up front spares the first visitor a wait of several seconds.

On loopback the action server needs no credentials; bound anywhere else it refuses to start without
ACTION_SERVER_TOKEN, and with a token every call but the health check must carry it (Rasa sends it from
endpoints.yml).
"""
from __future__ import annotations

import asyncio
import hmac
import logging
import os
import sys
import time

log = logging.getLogger(__name__)


def block_tensorflow() -> None:
    """Make `import tensorflow` fail in this process, so thinc runs without it (as when it isn't installed)."""
    if "tensorflow" not in sys.modules:
        sys.modules["tensorflow"] = None  # type: ignore[assignment]


knowledge_loaded = False  # set once the knowledge has loaded; /ready answers 503 until then


def load_knowledge() -> bool:
    """Build the knowledge index and router now rather than on the first visitor's message; returns whether it
    loaded."""
    global knowledge_loaded
    from actions import services

    started = time.monotonic()
    try:
        services.knowledge()
    except Exception:  # the actions report it to the visitor; the server must still start
        log.exception("could not load the knowledge before starting; it will be retried on the first message")
        return False
    knowledge_loaded = True
    print(f"knowledge loaded in {time.monotonic() - started:.1f} s", flush=True)
    return True


TOKEN_HEADER = "X-FirstStop-Token"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


class ActionServerTokenMissing(SystemExit):
    """The action server would listen beyond loopback without a shared token."""


def require_token(app, token: str) -> None:
    """Refuse every call but the health check that doesn't carry `token` in TOKEN_HEADER."""
    from sanic import response

    @app.middleware("request")
    async def check_token(request):
        if request.path in ("/health", READY_PATH):
            return None
        if not hmac.compare_digest(request.headers.get(TOKEN_HEADER, "").encode(), token.encode()):
            return response.json({"error": "this action server needs its token"}, status=401)
        return None


def answer_failures_quietly(app) -> None:
    """rasa_sdk answers an action's exception with the whole request (the tracker: every slot, every
    message) and logs the request; Rasa then logs that answer. Answer and log the exception's type only."""
    from sanic import response

    async def failed(request, exception: Exception):
        log.error("action call failed: %s", type(exception).__name__, exc_info=exception)
        return response.json({"error": type(exception).__name__}, status=500)

    app.error_handler.add(Exception, failed)


READY_PATH = "/ready"


def add_readiness(app) -> None:
    """GET /ready: 200 once the knowledge is loaded and while the member database answers, 503 otherwise, so a
    server that is starting or has lost its database is not given traffic (the launcher waits on it)."""
    from sanic import response

    from firststop.settings import get_settings
    from members.db import reachable

    async def ready(request):
        loaded = knowledge_loaded or load_knowledge()
        database = await asyncio.get_running_loop().run_in_executor(None, reachable, get_settings().database_url)
        if not (loaded and database):
            return response.json({"status": "not ready", "knowledge": loaded, "database": database}, status=503)
        return response.json({"status": "ready"})

    app.add_route(ready, READY_PATH, methods=["GET"])


def guarded_create_app(create_app, token: str):
    """rasa_sdk's create_app, answering failures without the request, with the token check when there is one."""

    def create(*args, **kwargs):
        app = create_app(*args, **kwargs)
        answer_failures_quietly(app)
        add_readiness(app)
        if token:
            require_token(app, token)
        return app

    return create


def main() -> None:
    """Run the rasa_sdk action server command line, on loopback unless SANIC_HOST says otherwise."""
    from firststop.settings import get_settings

    host = os.environ.setdefault("SANIC_HOST", "127.0.0.1")  # rasa_sdk's own default is 0.0.0.0
    token = get_settings().action_server_token
    if host not in LOOPBACK_HOSTS and not token:
        raise ActionServerTokenMissing(
            f"the action server would listen on {host} without a token: set ACTION_SERVER_TOKEN (the same value "
            "for the Rasa servers and the action servers), or listen on 127.0.0.1")
    block_tensorflow()
    load_knowledge()
    from rasa_sdk import endpoint
    from rasa_sdk.__main__ import main as sdk_main

    endpoint.create_app = guarded_create_app(endpoint.create_app, token)
    sdk_main()


if __name__ == "__main__":
    main()
