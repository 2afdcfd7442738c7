"""callbacks::TrainingReport rendered by headless Chromium (Debian's `chromium`).

Runs nabla_views_program (the reference MLP on a slice of MNIST with TrainingReport and debug::Diagnostics), then
loads <out>/report.html in `chromium --headless --dump-dom` with console logging on, and checks that
  - the page logs nothing to the console (no script errors: a page with one is rendered first, to show the check
    sees them),
  - its inline script ran and found every chart drawn (the #render-ok marker it writes),
  - the expected elements are there: loss/accuracy/learning-rate/gradient-norm charts with their series, the
    10x10 confusion matrix and the per-class table, the findings section,
  - the page is self-contained: no src/href to another file or host.
With --screenshot PATH it also writes a PNG of the page (docs/training_report.png is made this way).
Exits 77 (ctest SKIP_RETURN_CODE) when chromium is not installed.
Usage: report_check.py <nabla_views_program> <out_dir> [--screenshot PATH]
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def render(browser, page, extra=()):
    """The DOM after scripts ran, and the console lines Chromium logged."""
    with tempfile.TemporaryDirectory() as profile:
        cmd = [browser, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--user-data-dir=" + profile,
               "--enable-logging=stderr", "--v=0", *extra, "file://" + os.path.abspath(page)]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    console = [line for line in r.stderr.splitlines() if ":CONSOLE" in line]
    return r.returncode, r.stdout, console


def main():
    program, out = sys.argv[1], sys.argv[2]
    shot = sys.argv[sys.argv.index("--screenshot") + 1] if "--screenshot" in sys.argv else None
    browser = chromium()
    if not browser:
        print("SKIP: chromium is not installed (scripts/setup installs Debian's chromium)")
        sys.exit(77)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)

    # The console check must see errors: a page with a failing script first.
    bad = os.path.join(out, "bad.html")
    with open(bad, "w") as f:
        f.write("<!DOCTYPE html><html><body><script>undefinedFunction();</script></body></html>")
    _, _, console = render(browser, bad, ["--dump-dom"])
    if not any("Uncaught ReferenceError" in c for c in console):
        fail(f"the console check missed a script error: {console}")

    subprocess.run([program, out], check=True)
    page = os.path.join(out, "report.html")
    html = open(page, encoding="utf-8").read()
    external = re.findall(r'(?:src|href)\s*=\s*"(?!#)([^"]*)"', html) + re.findall(r"url\(", html)
    if external:
        fail(f"the report refers to other files or hosts: {external}")

    rc, dom, console = render(browser, page, ["--dump-dom"])
    if rc != 0:
        fail(f"chromium exited with {rc}")
    if console:
        fail("console messages while loading the report:\n" + "\n".join(console))
    m = re.search(r'<p id="render-ok"[^>]*data-charts="(\d+)" data-drawn="(\d+)"', dom)
    if not m:
        fail("the report's script did not run (no #render-ok marker in the DOM)")
    charts, drawn = int(m.group(1)), int(m.group(2))
    if charts < 4 or drawn != charts:
        fail(f"{drawn} of {charts} charts drawn")
    for el in ("chart-loss", "chart-accuracy", "chart-learning-rate", "chart-grad-norms", "confusion-matrix",
               "per-class", "findings"):
        if f'id="{el}"' not in dom:
            fail(f"#{el} missing from the rendered page")
    for chart in ("chart-loss", "chart-accuracy"):
        svg = dom[dom.index(f'id="{chart}"'):]
        svg = svg[:svg.index("</svg>")]
        names = re.findall(r'<g class="series" data-name="([^"]+)"', svg)
        if names != ["train", "validation"]:
            fail(f"#{chart} series {names}, expected train and validation")
    cm = dom[dom.index('id="confusion-matrix"'):]
    cm = cm[:cm.index("</table>")]
    if cm.count("<tr>") != 11 or cm.count("<td") != 100:
        fail(f"confusion matrix: {cm.count('<tr>')} rows, {cm.count('<td')} cells (expected 1+10 rows, 100 cells)")
    total = sum(int(v) for v in re.findall(r"<td[^>]*>(\d+)</td>", cm))
    if total != 500:
        fail(f"the confusion matrix counts {total} samples, expected the 500 validation images")
    print(f"chromium: no console messages, {drawn}/{charts} charts drawn, confusion matrix of 500 samples, "
          "per-class table and findings present")
    if shot:
        rc, _, console = render(browser, page, ["--hide-scrollbars", "--window-size=1200,1580",
                                                "--screenshot=" + os.path.abspath(shot)])
        if rc != 0 or not os.path.exists(shot):
            fail("screenshot failed")
        print("screenshot:", shot)
    print("PASS")


if __name__ == "__main__":
    main()
