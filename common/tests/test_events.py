from __future__ import annotations

from ima2_common import events


def test_replay_copy_omits_long_images_only() -> None:
    big = "data:image/png;base64," + "A" * 2000
    payload = {
        "requestId": "r",
        "image": big,
        "images": [{"image": big, "filename": "a"}, {"image": "short"}],
    }
    stripped = events.strip_images_for_replay(payload)
    assert "image" not in stripped and stripped["_imageOmitted"] is True
    assert stripped["images"] == [{"filename": "a"}, {"image": "short"}]
    assert payload["image"] == big
    assert events.strip_images_for_replay({"image": "short"}) == {"image": "short"}


def test_subjects_escape_request_ids() -> None:
    assert events.event_subject("classic", "a.b*c>d%") == "ima2.events.classic.a%2Eb%2Ac%3Ed%25"
