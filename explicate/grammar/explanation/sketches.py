"""English sketches: an explanation that names a concept but no value compiles to an LF with a
hole for the data to fill (``explicate fill``; see ``runtime.sketch``).

- "the comment is short" / "the text is long": ``count(text) < ?n`` / ``> ?n``;
- "a money word appears", "the text contains a money word": ``text contains ?w like "money"``;
- "the person is close to the bike" / "far from": ``min distance(@person, @bike) < ?t`` / ``> ?t``.

The grammar alternatives are the ``sketch_*`` ones in ``explanation.lark``; ``SketchClauses`` is
mixed into ``to_ir.ExplanationToIR``.
"""

from __future__ import annotations

from typing import Any

from explicate import ir
from explicate.grammar.explanation.roles import Parts, Unsupported
from explicate.primitives import image
from explicate.primitives import text as prim


class SketchClauses:
    """The ``sketch_*`` constructions (a mixin of ``ExplanationToIR``)."""

    def _default_text(self) -> ir.Field:  # provided by ExplanationToIR
        raise NotImplementedError

    def _sketch_length(self, c: list[Any], op: str) -> ir.Expr:
        p = Parts.of(c)
        text = p.texts[0] if p.texts else self._default_text()
        return p.maybe_not(ir.Compare(op=op, left=prim.Count(text=text),
                                      right=ir.Hole(name="n", kind="number")))

    def sketch_short(self, c: list[Any]) -> ir.Expr:  # the comment is short
        return self._sketch_length(c, "<")

    def sketch_long(self, c: list[Any]) -> ir.Expr:  # the text is long
        return self._sketch_length(c, ">")

    def _sketch_concept(self, p: Parts, text: ir.Field) -> ir.Expr:
        if not p.plain:
            raise Unsupported("which kind of word? ('a money word appears')")
        seed = ir.Phrase(text=p.plain[0])
        return p.maybe_not(prim.Contains(text=text, words=ir.Hole(name="w", kind="words",
                                                                   like=(seed,))))

    def sketch_concept_anywhere(self, c: list[Any]) -> ir.Expr:  # a money word appears
        return self._sketch_concept(Parts.of(c), self._default_text())

    def sketch_concept_contains(self, c: list[Any]) -> ir.Expr:  # the text contains a money word
        p = Parts.of(c)
        return self._sketch_concept(p, p.texts[0])

    def _sketch_distance(self, c: list[Any], op: str) -> ir.Expr:
        p = Parts.of(c)
        a, b = p.objects
        return p.maybe_not(ir.Compare(op=op, left=image.PairMeasure(a=a, b=b),
                                      right=ir.Hole(name="t", kind="number")))

    def sketch_close(self, c: list[Any]) -> ir.Expr:  # the person is close to the bike
        return self._sketch_distance(c, "<")

    def sketch_far(self, c: list[Any]) -> ir.Expr:  # the person is far from the bike
        return self._sketch_distance(c, ">")
