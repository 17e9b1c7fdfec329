"""Snippets with the matched words in <mark>, everything else HTML-escaped.

The text comes from the database row being shown (the index stores no text), and is
re-analyzed with the index's stemming analyzer, so "vaccinations" marks "vaccine".
"""

from __future__ import annotations

from markupsafe import Markup, escape
from whoosh.highlight import ContextFragmenter, Formatter, WholeFragmenter, get_text
from whoosh.highlight import highlight as whoosh_highlight

from exchange.search.query import thread_analyzer

SNIPPET_CHARS = 160


class MarkFormatter(Formatter):
    between = " "  # each fragment carries its own ellipses

    def _text(self, text: str) -> str:
        return str(escape(text))

    def format_token(self, text, token, replace=False) -> str:
        return f"<mark>{escape(get_text(text, token, replace))}</mark>"

    def format_fragment(self, fragment, replace=False) -> str:
        body = super().format_fragment(fragment, replace=replace)
        before = "… " if fragment.startchar > 0 else ""
        after = " …" if fragment.endchar < len(fragment.text) else ""
        return f"{before}{body}{after}"


def highlight(text: str, terms: frozenset[str], whole: bool = False) -> Markup | None:
    """The text (or its best fragments) with matched terms marked; None if none matched."""
    if not text or not terms:
        return None
    fragmenter = (
        WholeFragmenter() if whole else ContextFragmenter(maxchars=SNIPPET_CHARS, surround=60)
    )
    marked = whoosh_highlight(
        text, terms, thread_analyzer(), fragmenter, MarkFormatter(), top=2 if not whole else 1
    )
    if not marked or "<mark>" not in marked:
        return None
    return Markup(marked)  # noqa: S704 - built from escaped text and our own <mark> tags
