"""Goldens are written only on request; a missing one is a failure that says how to make it."""

from __future__ import annotations

import json

import pytest

from tests.golden import UPDATE, assert_matches_golden


def test_a_missing_golden_fails_and_says_how_to_write_it(tmp_path, monkeypatch):
    monkeypatch.delenv(UPDATE, raising=False)
    path = tmp_path / "golden" / "digest.json"
    with pytest.raises(pytest.fail.Exception, match=f"golden file .*digest.json is missing: run with {UPDATE}=1"):
        assert_matches_golden([{"content": "안녕"}], path)
    assert not path.exists()


def test_the_flag_rewrites_the_golden_and_without_it_a_difference_fails(tmp_path, monkeypatch):
    path = tmp_path / "golden" / "digest.json"
    monkeypatch.setenv(UPDATE, "1")
    assert_matches_golden([{"content": "안녕"}], path)
    assert json.loads(path.read_text(encoding="utf-8")) == [{"content": "안녕"}]
    assert "안녕" in path.read_text(encoding="utf-8")  # readable in review: not \uXXXX escapes
    monkeypatch.delenv(UPDATE)
    assert_matches_golden([{"content": "안녕"}], path)
    with pytest.raises(AssertionError):
        assert_matches_golden([{"content": "잘 가"}], path)
    assert json.loads(path.read_text(encoding="utf-8")) == [{"content": "안녕"}]
