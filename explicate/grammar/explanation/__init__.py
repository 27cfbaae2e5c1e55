"""English explanations → readings in the LF IR.

An explanation is one sentence an expert wrote about one example ("label SPOUSE because 'his wife'
is between person1 and person2"). The front end is six modules (and the parser's
``lookahead``), each feeding the next:

- ``lexicon``: ``scan`` cuts the text into lexemes; ``classify`` maps them to grammar symbols
  using the ``Context`` (the task's mention and text fields, word lists, labels and the example's
  own strings); synonyms become one class symbol each (``WORD_CLASSES``).
- ``speech``: plain speech between ``scan`` and ``classify`` (contractions without apostrophes, content-free
  preambles before "because", trailing conclusions, document nouns around fields) and the
  *generous* reading tried when the sentence as written has none (name parts as mentions,
  unquoted excerpts with keywords as quotes).
- ``parser``: lark's Earley parser over the symbol string (``explanation.lark``, every derivation
  kept), its logic rules instantiated once per set of clause kinds, with a forest cache; its
  predictor uses one symbol of lookahead (``lookahead``).
- ``to_ir``: ``ExplanationToIR``, one method per construction, building IR by keyword from the
  children sorted by role (``roles.Parts``); mixins ``sketches``, ``entity_clauses``,
  ``placement``.
- ``readings``: ``parse_explanation``, the reading search (whole sentence, then without unknown
  words, then the best clause cover) and ``simplify``.
- ``diagnose``: E103 for a sentence with no reading (where, what was expected, nearest phrasing).

Adding an English construction (recipe)
---------------------------------------
1. Add one alternative to a clause rule in ``explanation.lark`` with an alias naming what it
   builds, e.g. ``| mentions _be neg? "adjacent" "to" mentions -> mentions_adjacent``. Reuse the
   shared sub-rules (``words``, ``mentions``, ``pair``, ``text``, ``direction``, ``cmp``,
   ``unit``, ``neg``) so the new phrasing gets their variants for free; a new synonym goes into a
   word class in ``lexicon.WORD_CLASSES`` instead of a new alternative.
2. Add one method of that name to ``to_ir.ExplanationToIR``: ``p = Parts.of(c)`` sorts the
   children by role (``p.mentions``, ``p.words``, ``p.count``, ``p.side()``, ``p.op()``,
   ``p.negated``); build the IR with keyword arguments and wrap it in ``p.maybe_not(...)``.
   Raise ``Unsupported("...")`` for a reading that is recognized but not expressible.
3. Add the sentence to ``tests/fixtures/explanations.txt`` and regenerate its readings in
   ``tests/fixtures/explanations.golden`` (``tests/explanation_cases.render``); review the diff.
"""

from explicate.grammar.explanation.diagnose import EXAMPLES, diagnose, nearest_phrasing
from explicate.grammar.explanation.lexicon import (
    GRAMMAR_PATH,
    SEPARATORS,
    WORD_CLASSES,
    Context,
    Lexeme,
    Symbol,
    classify,
    in_example,
    keywords,
    scan,
)
from explicate.grammar.explanation.parser import (
    CLAUSE_KINDS,
    clause_kinds,
    parse_symbols,
    parser,
    render,
)
from explicate.grammar.explanation.readings import (
    MAX_READINGS,
    Parsed,
    Reading,
    parse_explanation,
    simplify,
)
from explicate.grammar.explanation.roles import Parts, Unsupported
from explicate.grammar.explanation.to_ir import ExplanationToIR

__all__ = [
    "CLAUSE_KINDS", "EXAMPLES", "GRAMMAR_PATH", "MAX_READINGS", "SEPARATORS", "WORD_CLASSES",
    "Context", "ExplanationToIR", "Lexeme", "Parsed", "Parts", "Reading", "Symbol", "Unsupported",
    "classify", "clause_kinds", "diagnose", "in_example", "keywords", "nearest_phrasing",
    "parse_explanation", "parse_symbols", "parser", "render", "scan", "simplify",
]
