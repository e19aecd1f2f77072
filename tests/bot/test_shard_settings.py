"""DISCORD_SHARD_COUNT / DISCORD_SHARD_IDS: checked at start, one line naming the variable."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, load_settings


@pytest.mark.parametrize(("env", "line"), [
    ({"DISCORD_SHARD_IDS": "1"}, "DISCORD_SHARD_IDS: set DISCORD_SHARD_COUNT too"),
    ({"DISCORD_SHARD_COUNT": "2", "DISCORD_SHARD_IDS": "2"}, "DISCORD_SHARD_IDS: not a shard id: '2'"),
    ({"DISCORD_SHARD_COUNT": "2", "DISCORD_SHARD_IDS": "1,1"}, "DISCORD_SHARD_IDS: a shard is listed twice"),
    ({"DISCORD_SHARD_COUNT": "0"}, "DISCORD_SHARD_COUNT: not a shard count: '0'"),
    ({"DISCORD_SHARD_COUNT": "two", "DISCORD_SHARD_IDS": "1"}, "DISCORD_SHARD_COUNT: not a shard count: 'two'"),
])
def test_a_bad_shard_setting_is_one_line_naming_it(env, line):
    with pytest.raises(ConfigError) as caught:
        load_settings(_env_file=None, **env)
    assert str(caught.value).startswith(line) and "\n" not in str(caught.value)
    assert ";" not in str(caught.value)  # one problem, one line


def test_shards_for_discord_py():
    assert load_settings(_env_file=None).discord_shards() == (None, None)
    assert load_settings(_env_file=None, DISCORD_SHARD_COUNT="3").discord_shards() == (3, [0, 1, 2])
    assert load_settings(_env_file=None, DISCORD_SHARD_COUNT="4",
                         DISCORD_SHARD_IDS=" 3, 1").discord_shards() == (4, [3, 1])
