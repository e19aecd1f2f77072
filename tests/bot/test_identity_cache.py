from collections.abc import Callable

from bot.identity_cache import IdentityCache


def recorded_sum() -> tuple[list[object], Callable[[list[int]], int]]:
    """A ``make`` that sums its key, and the keys it was called with, in order."""
    made: list[object] = []

    def make(key: list[int]) -> int:
        made.append(key)
        return sum(key)

    return made, make


def test_a_value_is_made_once_per_object_not_per_equal_object_and_the_cache_empties_when_full():
    made, make = recorded_sum()
    cache: IdentityCache[list[int], int] = IdentityCache(2)
    a, b, c = [1, 2], [1, 2], [5]
    assert cache.get(a, make) == 3 and cache.get(a, make) == 3
    assert cache.get(b, make) == 3  # equal, but another object: made again
    assert [m is a for m in made] == [True, False]
    assert cache.get(c, make) == 5  # full: emptied, then c kept
    assert cache.get(a, make) == 3 and len(made) == 4


def test_many_values_are_those_got_one_by_one():
    made, make = recorded_sum()
    cache: IdentityCache[list[int], int] = IdentityCache(3)
    a, b, c = [1], [1], [7]
    assert cache.get_many([a, b, a, c], make) == [1, 1, 1, 7]
    assert [m is a for m in made] == [True, False, False]  # a made once, b made although equal, then c
    assert cache.get_many([c, [2, 2], a], make) == [7, 4, 1]  # full on [2, 2]: emptied, so a made again
    assert len(made) == 5 and made[-1] is a


def test_a_cleared_cache_makes_each_value_again():
    made, make = recorded_sum()
    cache: IdentityCache[list[int], int] = IdentityCache(10)
    a = [4]
    cache.get(a, make)
    cache.clear()
    assert cache.get(a, make) == 4 and made == [a, a]
