"""Page weights of a built book: what a reader's browser downloads on a first visit.

Run on demand, on a built site (`make book` writes _build/html):

    .venv/bin/python benchmarks/page_weight.py [HTML_DIR] [--page PATH ...]

For the start page and the heaviest chapter page (the largest HTML file of a place's chapter),
or the pages given with --page, it loads the page in headless Chromium with an empty cache,
served from this machine, waits until every chart is drawn, and adds up every response the
page caused: HTML, CSS, JavaScript, fonts, images, the search index (uncompressed bytes, as
http.server sends them). It prints that first-visit total, the HTML size of the page, and the
largest files, each against its budget with PASS or FAIL, and exits 1 when anything fails.

Budgets: a first visit under 1.5 MB; a chapter page's HTML under 300 KB.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import shutil
import sys
import threading
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FIRST_VISIT_BUDGET = 1_500_000
CHAPTER_HTML_BUDGET = 300_000
#: Pages that are no place's chapter: the start page, the about pages, the lists, Sphinx's own.
NOT_CHAPTERS = {"index.html", "profile.html", "search.html", "genindex.html"}


def heaviest_chapter(html: Path) -> Path:
    """The largest HTML file that is a chapter of a place (``<type>/<place>/<chapter>.html``)."""
    pages = [p for p in html.glob("*/*/*.html") if p.name not in NOT_CHAPTERS and p.parts[-3] != "_static"]
    if not pages:
        sys.exit(f"{html} has no chapter pages (<type>/<place>/<chapter>.html): is it a built book?")
    return max(pages, key=lambda p: p.stat().st_size)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # one line per file would drown the figures
        pass


def serve(html: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(html)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"


def first_visit(browser, base: str, path: str) -> dict:
    """Every response of a first visit to ``path`` (empty cache): url -> bytes, plus the ones
    that went elsewhere or failed."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    sizes: dict[str, int] = {}
    elsewhere: list[str] = []
    failed: list[str] = []

    def on_response(response) -> None:
        url = response.url
        if url.startswith("data:"):
            return
        if not url.startswith(base):
            elsewhere.append(url)
        try:
            sizes[url] = len(response.body())
        except Exception:  # noqa: BLE001 (a redirect or an aborted response has no body)
            sizes.setdefault(url, 0)

    page.on("response", on_response)
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.goto(f"{base}/{path}", wait_until="load")
    charts = page.locator(".jsna-chart").count()
    if charts:
        page.wait_for_function(
            f"[...document.querySelectorAll('.jsna-chart')].filter(c => c.querySelector('svg, canvas')).length >= {charts}", timeout=60_000
        )
    page.wait_for_load_state("networkidle")
    context.close()
    return {"sizes": sizes, "elsewhere": elsewhere, "failed": failed}


def kind(url: str) -> str:
    suffix = Path(urlparse(url).path).suffix.lower()
    return {".html": "html", ".css": "css", ".js": "js", ".woff2": "font", ".woff": "font", ".ttf": "font",
            ".svg": "image", ".png": "image", ".ico": "image", ".json": "data", ".csv": "data"}.get(suffix, suffix or "other")  # fmt: skip


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(html: Path, pages: list[str], top: int) -> bool:
    from playwright.sync_api import sync_playwright

    httpd, base = serve(html)
    passed = True
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
            )
            for path in pages:
                visit = first_visit(browser, base, path)
                sizes = visit["sizes"]
                total = sum(sizes.values())
                html_bytes = (html / path).stat().st_size
                by_kind: dict[str, int] = {}
                for url, size in sizes.items():
                    by_kind[kind(url)] = by_kind.get(kind(url), 0) + size
                chapter = Path(path).name not in NOT_CHAPTERS and len(Path(path).parts) == 3
                print(f"\n{path}")
                ok = total < FIRST_VISIT_BUDGET
                passed &= ok
                print(f"  {verdict(ok)}  first visit {total / 1e6:6.3f} MB in {len(sizes)} files (budget {FIRST_VISIT_BUDGET / 1e6:.1f} MB)")
                line = f"HTML {html_bytes / 1e3:7.1f} KB"
                if chapter:
                    ok = html_bytes < CHAPTER_HTML_BUDGET
                    passed &= ok
                    print(f"  {verdict(ok)}  {line} (budget for a chapter page {CHAPTER_HTML_BUDGET / 1e3:.0f} KB)")
                else:
                    print(f"  ----  {line}")
                print("        by kind: " + ", ".join(f"{k} {v / 1e3:.1f} KB" for k, v in sorted(by_kind.items(), key=lambda kv: -kv[1])))
                for url, size in sorted(sizes.items(), key=lambda kv: -kv[1])[:top]:
                    print(f"        {size / 1e3:8.1f} KB  {urlparse(url).path}")
                ok = not visit["elsewhere"]
                passed &= ok
                print(f"  {verdict(ok)}  requests to other sites: {len(visit['elsewhere'])}" + (f" (first: {visit['elsewhere'][0]})" if visit["elsewhere"] else ""))
                if visit["failed"]:
                    print(f"        failed requests: {len(visit['failed'])} (first: {visit['failed'][0]})")
            browser.close()
    finally:
        httpd.shutdown()
    return passed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("html", nargs="?", type=Path, default=ROOT / "_build" / "html", help="a built book's html folder (default _build/html)")
    parser.add_argument("--page", action="append", default=[], help="a page to weigh, relative to the folder (repeatable); "
                        "default: index.html and the heaviest chapter page")  # fmt: skip
    parser.add_argument("--top", type=int, default=8, help="how many of the largest files to list for each page")
    args = parser.parse_args(argv)
    html = args.html.resolve()
    if not (html / "index.html").exists():
        sys.exit(f"{html}/index.html is missing: build the book first (make book)")
    pages = args.page or ["index.html", heaviest_chapter(html).relative_to(html).as_posix()]
    print(f"Page weights of {html} (first visit, empty cache, uncompressed)")
    passed = report(html, pages, args.top)
    print("\nPASS: every page is within its budget" if passed else "\nFAIL: a page is over its budget (above)")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
