"""Unused CSS, pruned from the built site's stylesheets (the PurgeCSS approach).

The themes ship far more CSS than the book uses: pydata-sphinx-theme bundles all of Bootstrap,
sphinx-design styles every colour of every component. A first visit downloads all of it. After
Sphinx, :func:`prune_stylesheets` reads every file that can put a class or id on a page (the
HTML pages, and the JavaScript that adds classes at run time, such as Bootstrap's ``show``) and
drops each selector that names a class or id no such file ever mentions.

It errs on the side of keeping: a word anywhere in any of those files counts as used, and a
selector is kept unless it certainly cannot match. Only classes and ids outside functional
pseudo-classes (``:not(.x)``, ``:is(.x)``...) are required; everything that is not a style rule
(``@font-face``, ``@keyframes``, ``@import``...) is kept unchanged. The book's own stylesheets
are not pruned: their classes are also made at run time from data (the explorer's badges), which
no scan of the files can see.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import tinycss2
from tinycss2 import ast

from jsna.files import write_if_changed

#: Files whose text can put a class or id on a page: the pages, the scripts that add classes
#: at run time, and the data and images the scripts insert.
CONTENT_SUFFIXES = (".html", ".js", ".json", ".svg")
#: A word that could be a class or id (PurgeCSS's default extractor).
WORD = re.compile(rb"[A-Za-z0-9_-]+")
#: The start of a class name a script completes at run time: a string that ends in a hyphen
#: where the string ends or a template's placeholder begins (Bootstrap's `bs-${name}-auto`,
#: Vega's "mark-" + type).
PREFIX = re.compile(rb"""(?<![A-Za-z0-9_-])([A-Za-z][A-Za-z0-9_-]*-)(?:\$\{|["'`])""")
#: Stylesheets left as they are: third-party files outside the themes, and the book's own.
NOT_PRUNED = ("vendor/", "jsna")
#: At-rules holding style rules of their own, pruned like the stylesheet.
GROUPING_RULES = ("media", "supports", "layer", "container")
#: A class or id name made of word characters only; any other is kept unchecked.
NAME_CHARACTERS = re.compile(r"[A-Za-z0-9_-]+")


@dataclass
class PruneReport:
    """Bytes of each pruned stylesheet before and after (path relative to the site)."""

    files: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def before(self) -> int:
        return sum(before for before, _ in self.files.values())

    @property
    def after(self) -> int:
        return sum(after for _, after in self.files.values())


@dataclass(frozen=True)
class UsedNames:
    """Every word of the site's content (lower case, so that case never causes a drop), and the
    starts of class names made at run time (:data:`PREFIX`)."""

    words: frozenset[str]
    prefixes: tuple[str, ...]

    def __contains__(self, name: str) -> bool:
        name = name.lower()
        return name in self.words or name.startswith(self.prefixes)


def prune_stylesheets(html: Path) -> PruneReport:
    """Prune every stylesheet of the built site ``html`` (:func:`prune_css`) against the words
    of its content (:func:`used_names`); each file is rewritten only when it changes."""
    used = used_names(html)
    report = PruneReport()
    for path in stylesheets(html):
        original = path.read_bytes()
        try:
            pruned = prune_css(original.decode("utf-8-sig"), used).encode("utf-8")  # a BOM is no selector
        except UnicodeDecodeError:
            continue  # not UTF-8: leave it alone rather than guess its encoding
        write_if_changed(path, pruned)
        report.files[path.relative_to(html).as_posix()] = (len(original), len(pruned))
    return report


def stylesheets(html: Path) -> list[Path]:
    """The site's stylesheets under ``_static``, in a fixed order, except :data:`NOT_PRUNED`."""
    static = html / "_static"
    return [p for p in sorted(static.rglob("*.css")) if p.is_file() and not p.relative_to(static).as_posix().startswith(NOT_PRUNED)]


def used_names(html: Path) -> UsedNames:
    """Every word in every content file of the site (:data:`CONTENT_SUFFIXES`), stylesheets
    excepted: a class a stylesheet names is not a class a page uses."""
    words: set[bytes] = set()
    prefixes: set[bytes] = set()
    for path in sorted(html.rglob("*")):
        if path.suffix in CONTENT_SUFFIXES and path.is_file():
            text = path.read_bytes()
            words.update(WORD.findall(text))
            prefixes.update(PREFIX.findall(text))
    return content_names(words, prefixes)


def content_names(words: set[bytes], prefixes: set[bytes]) -> UsedNames:
    """The words and prefixes as :class:`UsedNames`, in lower case."""
    lowered = frozenset(word.decode("ascii").lower() for word in words)
    return UsedNames(lowered, tuple(sorted({prefix.decode("ascii").lower() for prefix in prefixes})))


def prune_css(css: str, used: UsedNames) -> str:
    """The stylesheet without the selectors that name an unused class or id. A stylesheet that
    tinycss2 cannot parse cleanly is returned unchanged: what it dropped would be lost."""
    rules = tinycss2.parse_stylesheet(css, skip_comments=False, skip_whitespace=True)
    pruned = prune_rules(rules, used)
    return css if pruned is None else "".join(line + "\n" for line in pruned)


def prune_rules(rules: list, used: UsedNames) -> list[str] | None:
    """Each kept rule serialised, one a line; None when a rule did not parse."""
    out: list[str] = []
    for rule in rules:
        if isinstance(rule, ast.ParseError):
            return None
        if isinstance(rule, ast.Comment):
            if rule.value.startswith(("!", "#")):  # licences and source maps; other comments go
                out.append(rule.serialize())
        elif isinstance(rule, ast.QualifiedRule):
            kept = kept_selectors(rule.prelude, used)
            if kept:
                out.append(",".join(kept) + "{" + tinycss2.serialize(rule.content).strip() + "}")
        elif rule.lower_at_keyword in GROUPING_RULES and rule.content is not None:
            inner = prune_rules(tinycss2.parse_rule_list(rule.content, skip_comments=False, skip_whitespace=True), used)
            if inner is None:
                return None
            if inner or is_named_layer(rule):
                out.append(f"@{rule.at_keyword} {tinycss2.serialize(rule.prelude).strip()}{{{''.join(inner)}}}")
        else:
            out.append(rule.serialize())
    return out


def is_named_layer(rule: ast.AtRule) -> bool:
    """An ``@layer name {...}`` block: kept even when emptied, since its place sets the order
    of that layer against the others."""
    return rule.lower_at_keyword == "layer" and bool(tinycss2.serialize(rule.prelude).strip())


def kept_selectors(prelude: list, used: UsedNames) -> list[str]:
    """The selectors of a comma-separated list that may match (:func:`may_match`), serialised."""
    selectors: list[list] = [[]]
    for token in prelude:
        if token == ",":
            selectors.append([])
        else:
            selectors[-1].append(token)
    return [tinycss2.serialize(s).strip() for s in selectors if may_match(s, used)]


def may_match(selector: list, used: UsedNames) -> bool:
    """False only when the selector requires a class (``.x``) or id (``#x``) that no content
    file mentions. Only top-level tokens are read: classes inside a function (``:not(.x)``,
    ``:is(.x)``) or brackets are not required. A name with characters no word has (``md:flex``,
    after unescaping) is taken as used."""
    for previous, token in zip([None, *selector], selector):
        if isinstance(token, ast.IdentToken) and previous == ".":
            name = token.value
        elif isinstance(token, ast.HashToken) and token.is_identifier:
            name = token.value
        else:
            continue
        if NAME_CHARACTERS.fullmatch(name) and name not in used:
            return False
    return True
