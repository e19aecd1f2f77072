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


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("https://arxiv.org/abs/2406.18629v3", ("2406.18629", "v3")),
        ("https://www.arxiv.org/pdf/2406.18629.pdf", ("2406.18629", "")),
        ("https://huggingface.co/papers/2311.10770", ("2311.10770", "")),
        ("/papers/2311.10770", ("2311.10770", "")),
        ("//arxiv.org/abs/2311.10770", ("2311.10770", "")),
    ],
)
def test_genuine_paper_links(link, expected):
    assert arxiv.paper_link(link) == expected


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)//arxiv.org/abs/2406.18629",
        "https://evil.example/arxiv.org/abs/2406.18629",
        "https://arxiv.org.evil.example/abs/2406.18629",
        "https://arxiv.org@evil.example/abs/2406.18629",
        "https://user@arxiv.org/abs/2406.18629",
        "data:text/html,arxiv.org/abs/2406.18629",
        "ftp://arxiv.org/abs/2406.18629",
        "/abs/2406.18629",
        "papers/2406.18629",
        "https://arxiv.org/abs/2406.18629 onclick",
        "https://huggingface.co/papers/2406.18629/../../evil",
    ],
)
def test_hostile_or_foreign_links_name_no_paper(link):
    assert arxiv.paper_link(link) is None
    assert arxiv.from_url(link) is None


def test_the_stored_link_form():
    assert arxiv.abs_url("2406.18629") == "https://arxiv.org/abs/2406.18629"
    assert arxiv.abs_url("2406.18629", "v2") == "https://arxiv.org/abs/2406.18629v2"
