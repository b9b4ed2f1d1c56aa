"""A TCP relay between the widget and the Rasa server that a test can cut, restore, slow down or make lose replies."""
from __future__ import annotations

import socket
import struct
import threading
import time


def _reset(sock: socket.socket) -> None:
    """Close with a TCP reset, as a dead server or a broken network would."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RD)  # wakes the thread reading it; sends nothing
    except OSError:
        pass
    sock.close()


class Relay:
    """Forwards 127.0.0.1:`port` to an upstream port; `cut()` makes the server unreachable until `restore()`.

    `delay` (seconds) holds each HTTP POST request before it reaches the server: a slow server, seen from
    the browser. The CORS preflight (OPTIONS) is not held. With `lose_replies`, requests reach the server but
    its answers are dropped and the connection reset: the network failed after the server took the message in.
    """

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.delay = 0.0
        self.lose_replies = False
        self._up = True
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self._accept, name="relay-accept", daemon=True).start()

    def cut(self) -> None:
        """Reset every open connection and refuse new ones."""
        with self._lock:
            self._up = False
            doomed, self._open = self._open, set()
        for sock in doomed:
            _reset(sock)

    def restore(self) -> None:
        """Forward again."""
        with self._lock:
            self._up = True

    def close(self) -> None:
        self.cut()
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            with self._lock:
                up = self._up
            if not up:
                _reset(client)
                continue
            try:
                server = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
                server.settimeout(None)
            except OSError:
                _reset(client)
                continue
            with self._lock:
                self._open.update((client, server))
            posted = threading.Event()  # this connection carried a POST (the CORS preflight's answer is never lost)
            threading.Thread(target=self._pump, args=(client, server, True, posted), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False, posted), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket, requests: bool, posted: threading.Event) -> None:
        try:
            while data := source.recv(65536):
                if requests and data.startswith(b"POST "):
                    posted.set()
                    if self.delay:
                        time.sleep(self.delay)
                if not requests and self.lose_replies and posted.is_set():
                    _reset(target)
                    return
                target.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._open.difference_update((source, target))
            for sock in (source, target):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
