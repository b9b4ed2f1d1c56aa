"""Fixtures for the widget in real Chromium: the demo page served by the real console, pointed at the real
Rasa server of the `stack` fixture (directly, or through a relay a test can cut or slow down)."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from firststop.settings import ROOT
from tests.widget.chat import Visitor
from tests.widget.relay import Relay

sync_api = pytest.importorskip("playwright.sync_api")

AXE_JS = ROOT / "web_widget" / "node_modules" / "axe-core" / "axe.min.js"

# Rasa's replies take longer on a busy machine than Playwright's default 5 s.
sync_api.expect.set_options(timeout=20_000)


@dataclass
class Site:
    """The demo agency page served by the console, with the widget talking to `rasa_url`."""

    url: str
    rasa_url: str


def serve_demo(stack, rasa_url: str, origin: str):
    """Run the real console (demo page at /, widget at /widget/) in a thread at `origin`, one of the origins
    the stack's Rasa server allows (tests/conftest.py's demo_origins); yields a Site."""
    from console import create_app

    app = create_app({"DATABASE_URL": stack.database_url, "RASA_URL": rasa_url, "TESTING": True, "SECRET_KEY": "t"})
    server = make_server("127.0.0.1", int(origin.rsplit(":", 1)[1]), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="console", daemon=True)
    thread.start()
    try:
        yield Site(f"http://127.0.0.1:{server.server_port}/", rasa_url)
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def site(stack, demo_origins):
    """The demo page with the widget talking straight to the real Rasa server."""
    yield from serve_demo(stack, stack.rasa_url, demo_origins[0])


@pytest.fixture(scope="module")
def relay(stack):
    """A relay in front of the real Rasa server, restored and fast again after each use."""
    relay = Relay(int(stack.rasa_url.rsplit(":", 1)[1]))
    yield relay
    relay.close()


@pytest.fixture(scope="module")
def relayed_site(stack, relay, demo_origins):
    """The demo page with the widget talking to Rasa through the relay."""
    yield from serve_demo(stack, relay.url, demo_origins[1])


@pytest.fixture(autouse=True)
def _relay_restored(request):
    """A test that cut or slowed the relay leaves it working for the next one."""
    yield
    if "relay" in request.fixturenames:
        relay = request.getfixturevalue("relay")
        relay.restore()
        relay.delay = 0.0


@pytest.fixture
def visitor(chromium):
    """A desktop visitor; the test fails if any script error or dialog (alert, confirm) happened."""
    visitor = Visitor(chromium, viewport={"width": 1200, "height": 800})
    yield visitor
    visitor.context.close()
    assert visitor.errors == [], f"script errors on the page: {visitor.errors}"
    assert visitor.dialogs == [], f"dialogs opened by the page: {visitor.dialogs}"


@pytest.fixture
def page(visitor, site):
    """The demo page, widget closed, for a fresh visitor, talking straight to Rasa."""
    return visitor.open_page(site.url)


@pytest.fixture
def relayed_page(visitor, relayed_site):
    """The demo page, widget closed, for a fresh visitor, talking to Rasa through the relay."""
    return visitor.open_page(relayed_site.url)


@pytest.fixture(scope="session")
def axe_js() -> Path:
    """axe-core, installed by `npm ci --prefix web_widget` (the Makefile's test target does it)."""
    if not AXE_JS.exists():
        pytest.fail(f"{AXE_JS} is missing: run `npm ci --prefix web_widget --no-audit --no-fund`")
    return AXE_JS
