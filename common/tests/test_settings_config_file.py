"""config.json `features.cardNews` reaches Settings; the environment wins over the file; a missing,
malformed or mistyped value leaves the default."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ima2_common.settings import Settings


def write(home: Path, text: str) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.json").write_text(text)
    return home


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("IMA2_CARD_NEWS", "IMA2_FEATURES_CARD_NEWS", "IMA2_HOME"):
        monkeypatch.delenv(name, raising=False)


def test_the_file_turns_card_news_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = write(tmp_path, json.dumps({"apiKey": "k", "features": {"cardNews": True}}))
    assert Settings(home=home).card_news is True
    monkeypatch.setenv("IMA2_HOME", str(home))  # the data dir named by the environment
    assert Settings().card_news is True


@pytest.mark.parametrize(("env", "expected"), [("0", False), ("false", False), ("1", True)])
def test_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: str, expected: bool
) -> None:
    home = write(tmp_path, json.dumps({"features": {"cardNews": not expected}}))
    monkeypatch.setenv("IMA2_CARD_NEWS", env)
    assert Settings(home=home).card_news is expected


@pytest.mark.parametrize(
    "text",
    ["", "{not json", "[]", '{"features": true}', '{"features": {"cardNews": "yes"}}', '{"features": {}}'],
)
def test_no_usable_value_keeps_the_default(tmp_path: Path, text: str) -> None:
    assert Settings(home=write(tmp_path, text)).card_news is False
    assert Settings(home=tmp_path / "nowhere").card_news is False


def test_the_other_server_settings_by_their_reference_names(tmp_path: Path) -> None:
    body = {
        "server": {"port": 3456, "host": "0.0.0.0"},
        "log": {"level": "DEBUG"},
        "limits": {"maxParallel": "12"},  # a string where a number belongs: left out
        "storage": {"generatedDir": str(tmp_path / "pictures")},
        "grokProvider": {"plannerModel": "grok-4", "plannerTimeoutMs": True},  # a bool is no number
    }
    settings = Settings(home=write(tmp_path, json.dumps(body)))
    assert (settings.port, settings.host, settings.log_level) == (3456, "0.0.0.0", "DEBUG")
    assert settings.generated_dir == tmp_path / "pictures" and settings.grok_planner_model == "grok-4"
    defaults = Settings(home=tmp_path / "nowhere")
    assert settings.max_parallel == defaults.max_parallel
    assert settings.grok_planner_timeout_ms == defaults.grok_planner_timeout_ms
