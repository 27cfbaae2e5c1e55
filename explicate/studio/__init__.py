"""explicate studio: a local page where an expert types a rationale about one example and sees at
once what it means (every reading as DSL) and what it does (votes, coverage, overlaps, dev
precision, the label model's change); kept rules are saved with a content-hashed history.

``Studio`` holds the state (cached batches, schema, kept LFs, label model); ``create_app`` serves
it as a JSON API and a page (FastAPI; ``pip install explicate[studio]``).
"""

from explicate.studio.state import Studio

__all__ = ["Studio"]
