"""The transcript as the visitor saw it, without a server: the widget's formatting rendered safely, button payloads
shown as titles, and the bot message names (text hashes) the widget and the console share."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import datetime, timezone

import pytest

from console.review import bot_html, local_time
from firststop.settings import ROOT
from members.transcripts import WIDGET_PAYLOADS, Message, as_seen, canonical_payload, text_hash

SAMPLES = ["Hello! I'm FirstStop", "Grüß Gott — 🚀🇱🇺", "", "**Ministry of the Economy**\nline two"]


def test_bold_italic_and_https_links_render_and_everything_else_is_text():
    html = bot_html("**Bold** and *it* [page](https://x.lu/a) https://y.lu/b. http://z.lu [bad](javascript:alert(1))")
    assert str(html) == ('<strong>Bold</strong> and <em>it</em> <a href="https://x.lu/a" rel="noopener noreferrer" '
                         'target="_blank">page</a> <a href="https://y.lu/b" rel="noopener noreferrer" '
                         'target="_blank">https://y.lu/b</a>. http://z.lu bad')


@pytest.mark.parametrize("attack", [
    '<script>alert(1)</script>', '**<img src=x onerror=alert(1)>**', '[x](https://a.lu/"onmouseover="alert(1))',
    '[<b>x</b>](https://a.lu)', 'https://a.lu/<script>',
])
def test_markup_in_bot_text_never_becomes_html(attack):
    html = str(bot_html(attack))
    assert "<script" not in html and "<img" not in html and "<b>" not in html and '"onmouseover' not in html


def test_line_breaks_are_kept():
    assert str(bot_html("one\ntwo\r\nthree")) == "one<br>two<br>three"


def test_times_are_shown_in_the_agency_zone_and_labelled():
    winter, summer = datetime(2026, 1, 15, 13, 5, tzinfo=timezone.utc), datetime(2026, 7, 1, 12, 0)
    assert ">2026-01-15 14:05 CET</time>" in str(local_time(winter, "Europe/Luxembourg"))
    assert ">2026-07-01 14:00 CEST</time>" in str(local_time(summer, "Europe/Luxembourg"))  # naive = stored UTC


def test_payloads_match_whatever_their_spacing():
    assert canonical_payload('/inform{"cluster": "ecodev"}') == canonical_payload('/inform{"cluster":"ecodev"}')
    assert canonical_payload("/affirm") == "/affirm" and canonical_payload("/x{broken") == "/x{broken"


def test_a_payload_is_shown_as_the_button_title_and_the_widgets_own_as_the_widget_showed_them():
    at = datetime.now(timezone.utc)
    offered = {canonical_payload('/inform{"cluster":"ecodev"}'): "EcoDev"}
    assert as_seen(Message("visitor", '/inform{"cluster": "ecodev"}', at), offered).clicked == "EcoDev"
    assert as_seen(Message("visitor", "/request_human", at), {}).clicked == "Talk to a person"
    assert as_seen(Message("visitor", "/greet", at), {}).hidden
    assert as_seen(Message("visitor", "/affirm", at), {}).clicked is None  # typed, or not offered: as it was


def test_the_widget_payloads_the_console_knows_are_the_widgets():
    source = (ROOT / "web_widget" / "src" / "widget.js").read_text(encoding="utf-8")
    payloads = re.search(r"export const PAYLOADS = (\{.*?\});", source).group(1)
    sent = set(re.findall(r"'([^']+)'", payloads))
    assert sent == set(WIDGET_PAYLOADS)


@pytest.mark.skipif(shutil.which("node") is None, reason="no node")
def test_the_widget_and_the_console_hash_a_message_the_same_way():
    script = ("import { textHash } from './web_widget/src/format.js';"
              f"console.log(JSON.stringify({json.dumps(SAMPLES)}.map(textHash)));")
    result = subprocess.run(["node", "--input-type=module", "-e", script], cwd=ROOT, capture_output=True, text=True,
                            check=True)
    assert json.loads(result.stdout) == [text_hash(s) for s in SAMPLES]
