"""The markdown-it parser for Docmost pages, and the inline scan that records where each construct is.

Owns the parser configuration (CommonMark + GFM tables/strikethrough, footnotes, ``$`` math, ``:::`` callouts, the
``==mark==`` rule) and the recording tokenizer behind ``scan``: the renderer edits the *source* at the spans the
scan reports instead of re-rendering tokens.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.helpers import parseLinkLabel
from markdown_it.rules_inline import StateInline
from markdown_it.rules_inline.state_inline import Delimiter
from markdown_it.token import Token
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.footnote import footnote_plugin

_SPANS_KEY = "_docmost_pipeline_spans"
_STATE_KEY = "_docmost_pipeline_state"
_CALLOUT_PARAMS = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_-]*)\s*$")
_LABEL_RULES = ("link", "image")
_DELIMITER_RULES = ("strikethrough", "mark")


@dataclass
class Span:
    name: str
    start: int
    end: int
    tokens: list[Token]
    label_end: int | None = None
    children: list[Span] = field(default_factory=list)
    # Delimiter runs (strikethrough, mark): source characters each of ``tokens`` stands for, taken when the rule
    # returns. Post-processing rewrites these tokens in place (``fragments_join`` concatenates a run of adjacent
    # text tokens into the run's *last* token, so a literal ``~`` token can end up holding the text before it),
    # hence their ``content`` cannot tell where they are in the source afterwards.
    widths: list[int] = field(default_factory=list)


def _mark_tokenize(state: StateInline, silent: bool) -> bool:
    """``==highlight==`` delimiters (the markdown-it-mark rule; Docmost writes highlights this way)."""
    if silent or state.src[state.pos] != "=":
        return False
    scanned = state.scanDelims(state.pos, True)
    length = scanned.length
    if length < 2:
        return False
    if length % 2:
        token = state.push("text", "", 0)
        token.content = "="
        length -= 1
    for _ in range(0, length, 2):
        token = state.push("text", "", 0)
        token.content = "=="
        if scanned.can_open or scanned.can_close:
            state.delimiters.append(
                Delimiter(
                    marker=ord("="),
                    length=0,
                    token=len(state.tokens) - 1,
                    end=-1,
                    open=scanned.can_open,
                    close=scanned.can_close,
                )
            )
    state.pos += scanned.length
    return True


def _mark_pairs(state: StateInline, delimiters: list[Delimiter]) -> None:
    for delimiter in delimiters:
        if delimiter.marker != ord("=") or delimiter.end == -1:
            continue
        opening = state.tokens[delimiter.token]
        closing = state.tokens[delimiters[delimiter.end].token]
        opening.type, opening.tag, opening.nesting, opening.markup = "mark_open", "mark", 1, "=="
        closing.type, closing.tag, closing.nesting, closing.markup = "mark_close", "mark", -1, "=="


def _mark_post_process(state: StateInline) -> None:
    _mark_pairs(state, state.delimiters)
    for meta in state.tokens_meta:
        if meta and meta.get("delimiters"):
            _mark_pairs(state, meta["delimiters"])


def _recorded_span(state: StateInline, name: str, start: int, tokens: list[Token]) -> Span:
    """The span rule ``name`` just consumed from ``start``, with its delimiter widths or its label's end."""
    span = Span(name, start, state.pos, tokens)
    if name in _DELIMITER_RULES:
        span.widths = [len(token.content) for token in tokens]
    elif name in _LABEL_RULES:
        saved_max = state.posMax
        state.posMax = span.end
        label_end = parseLinkLabel(state, start + (0 if name == "link" else 1), name == "link")
        state.posMax = saved_max
        span.label_end = label_end if label_end >= 0 else None
    return span


def _recording_tokenize(md: MarkdownIt) -> Callable[[StateInline], None]:
    """``md.inline.tokenize`` that, during our own scans, records the source span each inline rule consumed.

    Same loop as ``ParserInline.tokenize``; for the scan's own state (``env[_STATE_KEY]``), every rule other than
    ``text`` that matches records a ``Span`` right after it returns (so a link's nested label spans come first).
    The snapshot (start position, pending text, token count) is taken once per position: a rule that fails
    leaves ``pos``, ``tokens`` and ``pending`` as they were (the contract ``ParserInline.tokenize`` relies on).
    Every other state (silent lookahead, image alt text, ordinary parses) runs the original loop."""
    inline = md.inline
    original = inline.tokenize
    named = [(rule.name, rule.fn) for rule in inline.ruler.__rules__ if rule.enabled]
    if [fn for _, fn in named] != inline.ruler.getRules(""):
        raise RuntimeError("inline rule chain out of order")
    first_name, first_rule = named[0]
    if first_name != "text":
        raise RuntimeError("the text rule is expected first")
    others = named[1:]

    def tokenize(state: StateInline) -> None:
        env = state.env
        spans = env.get(_SPANS_KEY) if isinstance(env, dict) else None
        if spans is None or env.get(_STATE_KEY) is not state:
            original(state)
            return
        end = state.posMax
        max_nesting = state.md.options["maxNesting"]
        text = first_rule
        while state.pos < end:
            pos = state.pos
            ok = False
            if state.level < max_nesting:
                ok = text(state, False)
                if ok:
                    if state.pos <= pos:
                        raise RuntimeError("inline rule didn't increment state.pos")
                else:
                    had_pending = bool(state.pending)
                    first_new = len(state.tokens)
                    for name, rule in others:
                        ok = rule(state, False)
                        if ok:
                            if state.pos <= pos:
                                raise RuntimeError("inline rule didn't increment state.pos")
                            new_tokens = state.tokens[first_new + 1 :] if had_pending else state.tokens[first_new:]
                            spans.append(_recorded_span(state, name, pos, new_tokens))
                            break
            if ok:
                if state.pos >= end:
                    break
                continue
            state.append_pending(state.src[state.pos])
            state.pos += 1
        if state.pending:
            state.pushPending()

    return tokenize


def _callout_params_valid(params: str, *_: Any) -> bool:
    return bool(_CALLOUT_PARAMS.match(params))


@lru_cache(maxsize=2)
def parser(blocks_only: bool = False) -> MarkdownIt:
    """The parser; ``blocks_only`` skips the core inline pass (the renderer scans each inline run itself)."""
    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    footnote_plugin(md, inline=False)
    # Same boundaries as remark-math: spaces and digits next to the dollars allowed, $$…$$ inline allowed.
    dollarmath_plugin(md, allow_labels=False, allow_space=True, allow_digits=True, double_inline=True)
    container_plugin(md, "callout", validate=_callout_params_valid)
    md.inline.ruler.before("emphasis", "mark", _mark_tokenize)
    md.inline.ruler2.after("strikethrough", "mark", _mark_post_process)
    md.inline.add_terminator_char("=")
    md.inline.add_terminator_char("$")
    if blocks_only:
        md.core.ruler.disable("inline")
        md.inline.tokenize = _recording_tokenize(md)  # type: ignore[method-assign]
    return md


def scan(md: MarkdownIt, content: str, env: dict[str, Any]) -> tuple[list[Span], list[Token]]:
    """(the spans every inline rule consumed in ``content``, its inline tokens); ``md`` is ``parser(blocks_only=True)``
    and ``env`` the page's (a copy is used)."""
    env = dict(env)
    env[_SPANS_KEY] = []
    state = StateInline(content, md, env, [])
    env[_STATE_KEY] = state
    md.inline.tokenize(state)
    for rule in md.inline.ruler2.getRules(""):
        rule(state)
    return env[_SPANS_KEY], state.tokens


def nest(spans: list[Span]) -> list[Span]:
    """The spans as a tree: each span under the one that contains it, in source order."""
    roots: list[Span] = []
    stack: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        while stack and span.start >= stack[-1].end:
            stack.pop()
        (stack[-1].children if stack else roots).append(span)
        stack.append(span)
    return roots
