"""Pure pieces of the image jobs: sequence ids and the style-sheet prompt prefix."""

from __future__ import annotations

import re
import time

from ima2_image.jobs_multimode import _base36, new_sequence_id
from ima2_image.jobs_node import new_node_id
from ima2_image.style_sheet import render_prefix


def test_sequence_id_is_base36_time_and_hex() -> None:
    before = int(time.time() * 1000)
    sequence_id = new_sequence_id()
    match = re.match(r"^seq_([0-9a-z]+)_([0-9a-f]{8})$", sequence_id)
    assert match
    assert int(match.group(1), 36) >= before
    assert new_sequence_id() != sequence_id
    assert _base36(0) == "0" and _base36(35) == "z" and _base36(36) == "10"


def test_node_ids() -> None:
    assert re.match(r"^n_[0-9a-f]{10}$", new_node_id())


def test_style_sheet_prefix_uses_the_reference_fields() -> None:
    text = render_prefix(
        {
            "medium": "gouache",
            "palette": ["teal", "amber"],
            "mood": "calm",
            "negative": ["text"],
            "subject_details": "a red scarf",
        }
    )
    assert text == "Medium: gouache. Palette: teal, amber. Mood: calm. Subject: a red scarf. Avoid: text."
    assert render_prefix({}) == "" and render_prefix(None) == ""
