import pytest

from bot import arxiv


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("https://arxiv.org/abs/2406.18629", "2406.18629"),
        ("https://arxiv.org/abs/2406.18629v3", "2406.18629"),
        ("https://arxiv.org/pdf/2406.18629v2.pdf", "2406.18629"),
        ("https://arxiv.org/pdf/2406.18629", "2406.18629"),
        ("http://arxiv.org/abs/hep-th/9901001v1", "hep-th/9901001"),
        ("https://huggingface.co/papers/2406.18629", "2406.18629"),
        ("https://example.com/2406.18629", None),
        ("", None),
    ],
)
def test_ids_from_links(link, expected):
    assert arxiv.from_url(link) == expected


@pytest.mark.parametrize("typed", ["2406.18629", " 2406.18629v4 ", "arXiv:2406.18629", "https://arxiv.org/abs/2406.18629"])
def test_user_typed_ids_normalise(typed):
    assert arxiv.normalize(typed) == "2406.18629"


@pytest.mark.parametrize("typed", ["", "hello", "2406", "2406.1", "'; DROP TABLE papers"])
def test_non_ids_are_rejected(typed):
    assert arxiv.normalize(typed) is None
