"""The unused-CSS pruner (jsna.book.stylesheets) on small hand-written sites: what it drops, what
it must keep, and that its output is the same every time."""

from __future__ import annotations

from pathlib import Path

from jsna.book.stylesheets import prune_stylesheets

PAGE = '<html><body><div id="main" class="card used-one"><p class="Mixed-Case">Text</p><p class="10">Ten</p></div></body></html>'
SCRIPT = 'el.classList.add("shown-by-js"); tip.classList.add(`bs-${name}-auto`); span.className = "mark-" + kind;'


def site(tmp_path: Path, css: str, page: str = PAGE, script: str = SCRIPT) -> Path:
    """A built site of one page, one script and one stylesheet (``_static/theme.css``)."""
    html = tmp_path / "html"
    (html / "_static" / "scripts").mkdir(parents=True)
    (html / "index.html").write_text(page, encoding="utf-8")
    (html / "_static" / "scripts" / "theme.js").write_text(script, encoding="utf-8")
    (html / "_static" / "theme.css").write_text(css, encoding="utf-8")
    return html


def pruned(tmp_path: Path, css: str, **content: str) -> str:
    html = site(tmp_path, css, **content)
    prune_stylesheets(html)
    return (html / "_static" / "theme.css").read_text(encoding="utf-8")


def test_an_unused_class_rule_is_dropped_and_a_used_one_kept(tmp_path: Path) -> None:
    out = pruned(tmp_path, ".card{color:red}\n.absent{color:blue}\n#main{margin:0}\n#nowhere{margin:1px}")
    assert ".card{color:red}" in out and "#main{margin:0}" in out
    assert "absent" not in out and "nowhere" not in out


def test_a_selector_list_keeps_only_its_used_selectors(tmp_path: Path) -> None:
    out = pruned(tmp_path, ".absent, .card > p, .other .used-one, div.gone{padding:0}")
    assert out == ".card > p{padding:0}\n"


def test_a_class_in_a_script_or_made_from_a_prefix_in_a_script_is_kept(tmp_path: Path) -> None:
    out = pruned(tmp_path, ".shown-by-js{display:block}.bs-tooltip-auto{top:0}.mark-rect{fill:red}.mark{x:y}")
    assert ".shown-by-js{" in out and ".bs-tooltip-auto{" in out and ".mark-rect{" in out


def test_case_never_causes_a_drop(tmp_path: Path) -> None:
    assert ".mixed-case{" in pruned(tmp_path, ".mixed-case{color:red}")


def test_media_blocks_are_pruned_and_emptied_ones_removed(tmp_path: Path) -> None:
    css = "@media (min-width:960px){.card{width:50%}.absent{width:10%}}@media print{.absent{display:none}}@supports (display:grid){.gone{display:grid}}"
    assert pruned(tmp_path, css) == "@media (min-width:960px){.card{width:50%}}\n"


def test_rules_that_are_not_class_or_id_selectors_are_kept(tmp_path: Path) -> None:
    css = (
        '@charset "utf-8";\n@import url("other.css");\n'
        '@font-face{font-family:"Lato";src:url(lato.woff2)}\n'
        "@keyframes spin{from{transform:rotate(0)}to{transform:rotate(360deg)}}\n"
        ":root{--pst-color:#fff}\nbody,p{margin:0}\na:hover::after{content:''}\n[data-theme=dark] p{color:#eee}\n"
        ".card:not(.absent){color:red}\np:is(.absent, .gone){color:blue}\n.md\\:flex{display:flex}\n.\\31 0{width:10%}\n.\\32 0{width:20%}\n"
    )
    out = pruned(tmp_path, css)
    assert "20%" not in out  # class "20" (escaped), unescaped before it is looked for
    for kept in ('@charset "utf-8";', '@import url("other.css");', '@font-face{font-family:"Lato";src:url(lato.woff2)}', "@keyframes spin{",
                 ":root{--pst-color:#fff}", "body,p{margin:0}", "a:hover::after{content:\"\"}", "[data-theme=dark] p{color:#eee}",
                 ".card:not(.absent){color:red}", "p:is(.absent, .gone){color:blue}", ".md\\:flex{display:flex}", ".\\31 0{width:10%}"):  # fmt: skip
        assert kept in out, kept


def test_a_named_layer_keeps_its_place_when_emptied(tmp_path: Path) -> None:
    assert pruned(tmp_path, "@layer base{.absent{color:red}}@layer{.gone{color:red}}@layer a, b;") == "@layer base{}\n@layer a, b;\n"


def test_licence_comments_are_kept_and_others_dropped(tmp_path: Path) -> None:
    assert pruned(tmp_path, "/*! Bootstrap, MIT */\n/* buttons */\n.card{color:red}") == "/*! Bootstrap, MIT */\n.card{color:red}\n"


def test_a_stylesheet_that_does_not_parse_is_left_alone(tmp_path: Path) -> None:
    css = ".absent{color:red}\n.card"
    assert pruned(tmp_path, css) == css


def test_vendor_and_book_stylesheets_are_not_pruned_and_unchanged_files_not_written(tmp_path: Path) -> None:
    html = site(tmp_path, ".card{color:red}\n")
    vendor = html / "_static" / "vendor" / "lib.css"
    vendor.parent.mkdir()
    own = html / "_static" / "jsna.css"  # its classes are also made from data at run time
    for path in (vendor, own):
        path.write_text(".absent{color:red}", encoding="utf-8")
    theme = html / "_static" / "theme.css"
    before = theme.stat().st_mtime_ns
    report = prune_stylesheets(html)
    assert vendor.read_text(encoding="utf-8") == own.read_text(encoding="utf-8") == ".absent{color:red}"
    assert theme.stat().st_mtime_ns == before
    assert report.files == {"_static/theme.css": (17, 17)}


def test_the_report_counts_bytes_and_a_second_run_changes_nothing(tmp_path: Path) -> None:
    css = "/* theme */\n.card { color: red }\n.absent { color: blue }\n@media print { .used-one { color: black } .gone { x: y } }\n"
    html = site(tmp_path, css)
    first = prune_stylesheets(html)
    once = (html / "_static" / "theme.css").read_bytes()
    assert first.before == len(css) and first.after == len(once) < len(css)
    second = prune_stylesheets(html)
    assert (html / "_static" / "theme.css").read_bytes() == once
    assert second.before == second.after == len(once)


def test_the_same_site_prunes_to_the_same_bytes(tmp_path: Path) -> None:
    css = ".b, .card, .a{color:red}\n@media (max-width:1px){#main, #x{top:0}}\n.used-one .Mixed-Case{left:0}\n"
    outputs = {pruned(tmp_path / str(i), css) for i in range(2)}
    assert len(outputs) == 1
