"""Static dependency analysis: LFs that read the same primitive (after expanding lets)."""

from __future__ import annotations

from pathlib import Path

from explicate.compiler import compile_rules
from explicate.compiler.dependencies import dependencies, dependency_pairs, primitives_read
from explicate.grammar import parse, parse_lf

ROOT = Path(__file__).resolve().parents[1]


def _deps(text: str) -> list[tuple[str, str]]:
    program = compile_rules(parse("labels: NO, YES\n" + text))
    return [d.names for d in dependencies(program.lowered)]


def test_lfs_sharing_a_primitive_are_dependent_and_others_are_not() -> None:
    text = ('words person = "person", "man"\n'
            'lf a: has @person and has "road" -> YES\n'
            'lf b: has @person and has "car" -> YES\n'
            'lf c: count("bike") > 2 -> NO\n')
    assert _deps(text) == [("a", "b")]


def test_the_same_primitive_through_a_word_list_or_inline_is_one_primitive() -> None:
    text = ('words person = "person", "man"\n'
            'lf a: has @person -> YES\n'
            'lf b: has any of ("person", "man") and score > 1 -> NO\n'
            'lf c: score > 3 -> NO\n')
    assert _deps(text) == [("a", "b"), ("b", "c")]  # c shares the numeric column `score`


def test_derived_primitives_are_expanded_before_comparing() -> None:
    text = ('let far = min distance("person", "bike")\n'
            'let fill = area / (w * h)\n'
            'lf a: far > 10 -> NO\n'
            'lf b: min distance("person", "bike") < 2 -> YES\n'
            'lf c: max fill("region") > 0.5 -> YES\n'
            'lf d: max fill("region") < 0.1 and has "hole" -> NO\n')
    assert _deps(text) == [("a", "b"), ("c", "d")]


def test_exclusive_lfs_are_not_dependent() -> None:
    text = ('lf a: has "person" and has "road" -> YES\n'
            'lf b: has "person" and not has "road" -> NO\n'
            'lf c: has "person" -> YES\n')
    assert _deps(text) == [("a", "c"), ("b", "c")]


def test_primitives_read_stops_at_primitives() -> None:
    lf = parse_lf('lf a: not (has "x" or count("y") > 2 * score) -> YES')
    shown = sorted(type(p).__name__ for p in primitives_read(lf.when))
    assert shown == ["CountObjects", "Field", "Has"]


def test_visual_genome_rules_dependencies() -> None:
    program = compile_rules(parse((ROOT / "examples/visual_genome/rules.lf").read_text()))
    assert [d.names for d in dependencies(program.lowered)] == [
        ("street", "vehicles"), ("street_no", "vehicles_no"), ("street_no", "size_no"),
        ("vehicles_no", "size_no"), ("number_no", "crowd_no")]
    assert dependency_pairs(program.lowered)[0] == (0, 2)
