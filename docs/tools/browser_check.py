"""Open every page of the built docs in headless Chromium with the network cut.

Usage::

    python docs/tools/browser_check.py docs/_build/html [--screenshots DIR]

Needs the ``playwright`` package and a Chromium on the machine (Debian's
``chromium`` package; Playwright's own browser download is not used). If
either is missing, or the browser does not start, the check prints why and
exits 0: it is an extra, never a reason for CI to fail. It fails (exit 1) on
what a reader would see:

* a page that tries to fetch anything that is not a local file (every such
  request is aborted, so this also proves the pages work offline);
* a formula that MathJax left as raw ``\\(...\\)`` text;
* a JavaScript error on a page;
* at 1280 px, an "On this page" entry that runs past the sidebar, or a code
  cell of an example (not its output) wider than its box.

``--screenshots DIR`` also saves PNGs of the index, the objective page, the
SkipGramVectorizer API page and the classification example, at 1280 x 900.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

WIDTH, HEIGHT = 1280, 900
SHOTS = {
    "index": "index.html",
    "objective": "user_guide/objective.html",
    "api_skipgramvectorizer": "generated/skw2v.SkipGramVectorizer.html",
    "example_classification": "auto_examples/plot_classification.html",
}
NOT_PAGES = {"_static", "_sources", "_downloads", "_images"}

# Runs in the page; returns what a reader would notice.
INSPECT = """() => {
  const math = [...document.querySelectorAll('span.math, div.math')];
  const raw = math.filter(e => !e.querySelector('mjx-container'))
                  .map(e => e.textContent.trim().slice(0, 60));
  const side = document.querySelector('.bd-sidebar-secondary');
  let toc = [];
  if (side && side.getBoundingClientRect().width > 0) {
    const edge = side.getBoundingClientRect().right;
    toc = [...side.querySelectorAll('.toc-entry a')]
      .filter(a => a.getBoundingClientRect().right > edge + 1)
      .map(a => a.textContent.trim());
  }
  const code = [...document.querySelectorAll('.sphx-glr-example-title pre')]
    .filter(p => !p.closest('.sphx-glr-script-out, .sphx-glr-download'))
    .filter(p => p.scrollWidth > p.clientWidth + 1)
    .map(p => p.textContent.split('\\n')
                .reduce((a, b) => (b.length > a.length ? b : a), '').slice(0, 80));
  return {n_math: math.length, raw, toc, code};
}"""


def _find_chromium(explicit: str | None) -> str | None:
    if explicit:
        return explicit if Path(explicit).exists() else None
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _pages(build_dir: Path) -> list[Path]:
    return sorted(p for p in build_dir.rglob("*.html")
                  if p.relative_to(build_dir).parts[0] not in NOT_PAGES)


def check_pages(browser, build_dir: Path, shots: Path | None) -> list[str]:
    problems: list[str] = []
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
    remote: list[str] = []

    def only_local(route):
        url = route.request.url
        if url.startswith(("file:", "data:", "blob:", "about:")):
            route.continue_()
        else:
            remote.append(url)
            route.abort()

    context.route("**/*", only_local)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    for path in _pages(build_dir):
        rel = path.relative_to(build_dir).as_posix()
        remote.clear()
        errors.clear()
        page.goto(path.as_uri(), wait_until="load")
        if page.locator("span.math, div.math").count():
            try:
                page.wait_for_function(
                    "() => !!(window.MathJax && MathJax.startup"
                    " && MathJax.startup.promise)", timeout=15_000)
                page.evaluate("() => MathJax.startup.promise.then(() => true)")
            except Exception as exc:  # MathJax never came up
                problems.append(f"{rel}: MathJax did not start ({exc})")
        found = page.evaluate(INSPECT)
        problems += [f"{rel}: tried to fetch {url}" for url in remote]
        problems += [f"{rel}: JavaScript error: {msg}" for msg in errors]
        if found["raw"]:
            problems.append(f"{rel}: {len(found['raw'])} of {found['n_math']} "
                            f"formulas not rendered, e.g. {found['raw'][0]!r}")
        problems += [f"{rel}: 'On this page' entry runs past the sidebar: {t!r}"
                     for t in found["toc"]]
        problems += [f"{rel}: example code wider than its box: {line!r}"
                     for line in found["code"]]
        if shots is not None and rel in SHOTS.values():
            name = next(k for k, v in SHOTS.items() if v == rel)
            shots.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shots / f"{name}.png"))
    context.close()
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("build_dir", type=Path)
    parser.add_argument("--screenshots", type=Path, default=None, metavar="DIR")
    parser.add_argument("--chromium", default=None, help="path of the browser binary")
    args = parser.parse_args(argv)
    if not (args.build_dir / "index.html").is_file():
        print(f"no index.html under {args.build_dir}: build the docs first",
              file=sys.stderr)
        return 2
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("browser check skipped: the playwright package is not installed")
        return 0
    chromium = _find_chromium(args.chromium)
    if chromium is None:
        print("browser check skipped: no Chromium found (Debian: apt-get install chromium)")
        return 0
    # Only a browser that will not start here is a reason to skip; once it
    # runs, every failure is reported.
    try:
        pw = sync_playwright().start()
    except Exception as exc:
        print(f"browser check skipped: Playwright did not start ({type(exc).__name__})")
        return 0
    try:
        try:
            browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        except PlaywrightError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            print(f"browser check skipped: {chromium} did not start ({first})")
            return 0
        try:
            problems = check_pages(browser, args.build_dir.resolve(), args.screenshots)
        finally:
            browser.close()
    finally:
        pw.stop()
    n_pages = len(_pages(args.build_dir))
    if problems:
        print(f"browser check: {len(problems)} problems in {n_pages} pages:")
        for line in problems:
            print("  " + line)
        return 1
    print(f"browser check: {n_pages} pages open offline in Chromium at {WIDTH} px, "
          "every formula rendered, no script error, nothing past its box")
    return 0


if __name__ == "__main__":
    sys.exit(main())
