"""moderation.dataset: the one reader for labelled JSONL rows."""

import pytest

from moderation.dataset import Row, load_rows


def test_rows_keep_every_field_and_name_id_less_rows_by_line(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text(
        '{"id": "a1", "parent": "My mum texted.", "text": "Proud of you.", "label": "supportive",'
        ' "note": "trap: kind"}\n'
        "\n"
        '{"text": "", "label": "neutral"}\n',
        encoding="utf-8",
    )
    first, second = load_rows(path)
    assert first == Row("a1", "Proud of you.", "My mum texted.", "supportive", "trap: kind")
    assert second == Row(f"{path}:3", "", None, "neutral", "")


def test_empty_text_is_refused_only_when_text_is_required(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text('{"id": "x", "text": "  ", "label": "neutral"}\n', encoding="utf-8")
    assert load_rows(path)[0].text == "  "
    with pytest.raises(ValueError, match=r"rows\.jsonl:1: 'text' must be a non-empty string"):
        load_rows(path, require_text=True)


def test_a_parent_that_is_not_text_names_the_line(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text('{"id": "x", "text": "hi", "parent": 3, "label": "toxic"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"rows\.jsonl:1: 'parent' must be a string or null"):
        load_rows(path)
