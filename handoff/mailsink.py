"""A local SMTP server that keeps every e-mail as a .eml file, so hand-offs can be read without a mail setup."""
from __future__ import annotations

import argparse
import time
from email import message_from_bytes, policy
from pathlib import Path

from aiosmtpd.controller import Controller


class MaildirHandler:
    """aiosmtpd handler: writes each accepted message to `directory` and remembers it."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((envelope.rcpt_tos, message))
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{len(self.messages):04d}.eml"
        (self.directory / name).write_bytes(envelope.content)
        return "250 Message accepted for delivery"


def start(directory: Path, host: str = "127.0.0.1", port: int = 8025) -> tuple[Controller, MaildirHandler]:
    """Start the sink in a background thread; stop it with controller.stop()."""
    handler = MaildirHandler(directory)
    controller = Controller(handler, hostname=host, port=port)
    controller.start()
    return controller, handler


def main() -> None:  # pragma: no cover - the process entry point
    from firststop.settings import get_settings

    settings = get_settings()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=settings.smtp_port)
    args = parser.parse_args()
    controller, _ = start(settings.mail_dir, settings.smtp_host, args.port)
    print(f"mail sink on {settings.smtp_host}:{args.port}, writing to {settings.mail_dir}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        controller.stop()


if __name__ == "__main__":  # pragma: no cover
    main()
