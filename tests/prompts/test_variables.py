r"""Template variables: `{{name}}` found and filled in, `\{{` kept as literal braces."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chat.prompts import variables
from chat.prompts.variables import MissingValues, find, find_all, missing, substitute


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("", []),
        ("No variables here.", []),
        ("{{topic}}", ["topic"]),
        ("{{ topic }}", ["topic"]),
        ("{{\n  topic\t}}", ["topic"]),
        ("{{b}} then {{a}} then {{b}}", ["b", "a"]),
        ("{{Topic}} {{topic}}", ["Topic", "topic"]),  # names are case-sensitive
        ("{{snake_case_2}} {{_x}} {{42}}", ["snake_case_2", "_x", "42"]),
        ("{{тема}}", ["тема"]),  # letters of any script
        (r"\{{topic}}", []),
        (r"\{{ topic }} and {{ other }}", ["other"]),
        ("{{two words}} {{}} {{ }} {topic} {{{x}}}", ["x"]),
        ("{{a-b}} {{a.b}} {{ a }", []),
        ("{{{{x}}}}", ["x"]),
    ],
)
def test_it_finds_variables_in_order_each_once(text, names):
    assert find(text) == names


@pytest.mark.parametrize(
    ("text", "values", "result"),
    [
        ("Explain {{ topic }} simply.", {"topic": "tides"}, "Explain tides simply."),
        ("{{a}}{{b}}{{a}}", {"a": "1", "b": "2"}, "121"),
        (r"Jinja writes \{{ name }}; {{x}}", {"x": "ok"}, "Jinja writes {{ name }}; ok"),
        (r"\{{", {}, "{{"),
        (r"\\{{x}}", {}, r"\{{x}}"),  # only the backslash before the braces is the escape
        (r"a \ b \n \} \{ c", {}, r"a \ b \n \} \{ c"),  # other backslashes stay
        ("{{two words}} {{}} stay", {}, "{{two words}} {{}} stay"),
        ("{{x}}", {"x": "{{y}}"}, "{{y}}"),  # one pass: values are not filled in again
        ("{{x}}", {"x": r"\1 \g<0>"}, r"\1 \g<0>"),  # values are text, not regex templates
        ("{{x}}", {"x": ""}, ""),
        ("{{{x}}}", {"x": "v"}, "{v}"),
    ],
)
def test_it_substitutes(text, values, result):
    assert substitute(text, values) == result


def test_missing_values_are_all_named_in_order():
    with pytest.raises(MissingValues) as raised:
        substitute("{{b}} {{a}} {{c}} {{b}}", {"c": "here"})
    assert raised.value.names == ["b", "a"]
    assert str(raised.value) == "No value for b, a"


def test_several_texts_share_one_list_of_variables():
    texts = ["{{tone}} assistant", "Tell me about {{topic}} in a {{tone}} way", "Thanks"]
    assert find_all(texts) == ["tone", "topic"]
    assert missing(texts, {"tone": "dry"}) == ["topic"]
    assert missing(texts, {"tone": "dry", "topic": "x", "extra": "unused"}) == []


# -- properties ------------------------------------------------------------------------

NAMES = st.from_regex(r"[A-Za-z0-9_]{1,12}", fullmatch=True)
# Text that cannot form braces or escapes by itself, so each piece below stays what it is.
PLAIN = st.text(st.characters(exclude_characters="{}\\", exclude_categories=("Cs",)), max_size=20)
SPACE = st.text(" \t\n", max_size=2)
VARIABLE = st.tuples(SPACE, NAMES, SPACE).map(lambda t: ("var", "{{" + "".join(t) + "}}", t[1]))
ESCAPED = st.tuples(SPACE, NAMES, SPACE).map(lambda t: ("esc", "\\{{" + "".join(t) + "}}", t[1]))
PIECES = st.lists(st.one_of(PLAIN.map(lambda s: ("plain", s, "")), VARIABLE, ESCAPED), max_size=12)
LEFTOVER_RE = re.compile(r"\{\{\s*\w+\s*\}\}")


@given(PIECES, st.data())
def test_with_every_value_no_variable_is_left_and_escapes_survive(pieces, data):
    text = "".join(piece for _, piece, _ in pieces)
    names = find(text)
    assert names == list(dict.fromkeys(n for kind, _, n in pieces if kind == "var"))
    values = {name: data.draw(PLAIN, label=name) for name in names}
    result = substitute(text, values)
    escaped = [piece[1:] for kind, piece, _ in pieces if kind == "esc"]
    # Every {{name}} left comes from an escape, written without its backslash.
    assert LEFTOVER_RE.findall(result) == escaped
    assert "\\" not in result
    for value in values.values():
        assert value in result


@given(st.text())
def test_the_variables_found_are_exactly_the_values_needed(text):
    names = find(text)
    substitute(text, {name: "v" for name in names})  # does not raise
    if names:
        with pytest.raises(MissingValues) as raised:
            substitute(text, {name: "v" for name in names[1:]})
        assert raised.value.names == names[:1]


@given(st.text().filter(lambda t: "{{" not in t))
def test_text_without_double_braces_is_left_as_it_is(text):
    assert substitute(text, {}) == text


def test_the_escape_is_a_backslash_and_two_braces():
    assert variables.ESCAPE == "\\{{"
