"""Fail if any page of the built HTML docs loads something from the network.

Usage::

    python docs/tools/check_offline_html.py docs/_build/html

The docs must work without a network (MathJax, the theme's fonts and icons,
every script and style are copied into the build). This reads every ``.html``
and ``.css`` file of the build with the standard library only and reports

* a script, style sheet, font, image, frame or media element whose address is
  remote (``http://``, ``https://`` or protocol-relative ``//``);
* a remote ``url(...)`` or ``@import`` in a style sheet, a ``<style>`` element
  or a ``style`` attribute;
* a local script or style sheet that a page asks for but the build lacks (a
  MathJax copy that did not land, say).

Plain links (``<a href>``, ``<link rel="canonical">``) are not loads and are
allowed. Exit status 1 lists the offending pages; 0 prints a one-line summary.
"""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

REMOTE = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)
CSS_URL = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)|@import\s+(['"])(.*?)\3""",
                     re.IGNORECASE)

# Elements and the attributes through which a browser fetches something.
LOADING_ATTRS = {
    "script": ("src",),
    "img": ("src", "srcset"),
    "source": ("src", "srcset"),
    "iframe": ("src",),
    "frame": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "video": ("src", "poster"),
    "audio": ("src",),
    "track": ("src",),
    "input": ("src",),
}
# <link rel=...> values that only name another page and fetch nothing.
NAVIGATION_RELS = {"canonical", "alternate", "author", "license", "help", "search",
                   "next", "prev", "previous", "index", "top", "up", "first", "last",
                   "bookmark", "nofollow", "noopener", "noreferrer", "me"}


def _is_remote(url: str) -> bool:
    return bool(REMOTE.match(url)) and not url.strip().lower().startswith("file:")


def _srcset_urls(value: str) -> list[str]:
    return [part.strip().split()[0] for part in value.split(",") if part.strip()]


def _css_urls(text: str) -> list[str]:
    return [m.group(2) or m.group(4) or "" for m in CSS_URL.finditer(text)]


class _PageScanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.remote: list[str] = []      # "tag attr=url" that load from the network
        self.local: list[str] = []       # local scripts and style sheets to check
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        attrs = {k: (v or "") for k, v in attrs}
        if tag == "link":
            rels = set(attrs.get("rel", "").lower().split())
            href = attrs.get("href", "")
            if href and not rels <= NAVIGATION_RELS:
                if _is_remote(href):
                    self.remote.append(f"<link rel={attrs.get('rel')!r} href={href!r}>")
                elif "stylesheet" in rels:
                    self.local.append(href)
        for attr in LOADING_ATTRS.get(tag, ()):
            value = attrs.get(attr, "")
            urls = _srcset_urls(value) if attr == "srcset" else [value]
            for url in urls:
                if url and _is_remote(url):
                    self.remote.append(f"<{tag} {attr}={url!r}>")
                elif url and tag == "script":
                    self.local.append(url)
        for url in _css_urls(attrs.get("style", "")):
            if _is_remote(url):
                self.remote.append(f"<{tag} style=url({url!r})>")
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            for url in _css_urls(data):
                if _is_remote(url):
                    self.remote.append(f"<style> url({url!r})")


def _local_target(page: Path, url: str) -> Path | None:
    """The file a page-relative address points at, or None for data: etc."""
    parts = urlsplit(url)
    if parts.scheme or not parts.path:
        return None
    return (page.parent / unquote(parts.path)).resolve()


def check(build_dir: Path) -> tuple[list[str], int, int]:
    problems: list[str] = []
    # HTML under _static is theme material (Jinja macros), not pages.
    pages = sorted(page for page in build_dir.rglob("*.html")
                   if page.relative_to(build_dir).parts[0] != "_static")
    sheets = sorted(build_dir.rglob("*.css"))
    for page in pages:
        scanner = _PageScanner()
        scanner.feed(page.read_text(encoding="utf-8", errors="replace"))
        rel = page.relative_to(build_dir)
        problems += [f"{rel}: loads {item}" for item in scanner.remote]
        for url in scanner.local:
            target = _local_target(page, url)
            if target is not None and not target.is_file():
                problems.append(f"{rel}: asks for {url!r}, which the build lacks")
    for sheet in sheets:
        text = sheet.read_text(encoding="utf-8", errors="replace")
        rel = sheet.relative_to(build_dir)
        problems += [f"{rel}: loads url({url!r})" for url in _css_urls(text)
                     if _is_remote(url)]
    return problems, len(pages), len(sheets)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        print("usage: check_offline_html.py BUILD_DIR", file=sys.stderr)
        return 2
    build_dir = Path(args[0])
    if not (build_dir / "index.html").is_file():
        print(f"no index.html under {build_dir}: build the docs first", file=sys.stderr)
        return 2
    problems, n_pages, n_sheets = check(build_dir)
    if problems:
        print(f"offline check: {len(problems)} remote or missing resources:")
        for line in problems:
            print("  " + line)
        return 1
    print(f"offline check: {n_pages} pages and {n_sheets} style sheets load nothing "
          "from the network")
    return 0


if __name__ == "__main__":
    sys.exit(main())
