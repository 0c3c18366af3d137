"""An mkdocs hook: everything a page loads is served by the site itself, so it reads offline.

Two things would otherwise come from the network:

* MathJax, which typesets the formulas. mkdocs.yml loads
  ``js/mathjax/tex-mml-chtml.js``; this hook copies MathJax 3 (that
  combined TeX-to-HTML component, the extensions it loads on demand and its
  fonts) into ``<site>/js/mathjax/`` after every build, from the
  ``django-static-mathjax`` package (MathJax's own build as package data;
  Django is not needed), which the ``docs`` extra installs.
* The colours of highlighted code. The theme's highlight.js (from a CDN) is
  off in mkdocs.yml; Pygments colours the code at build time, and this hook
  writes its stylesheet to ``<site>/css/pygments.css``.
"""
import importlib.util
import os
import shutil

from mkdocs.exceptions import PluginError

ENTRY = "tex-mml-chtml.js"
MATHJAX_TARGET = os.path.join("js", "mathjax")
PYGMENTS_TARGET = os.path.join("css", "pygments.css")
# Other combined builds and the SVG output: never loaded by tex-mml-chtml.js.
SKIPPED = ("mml-chtml.js", "mml-svg.js", "tex-chtml.js", "tex-chtml-full.js", "tex-chtml-full-speech.js",
           "tex-mml-svg.js", "tex-svg.js", "tex-svg-full.js", "node-main.js", "svg", "svg.js")
INSTALL = "install the docs extra: pip install -e \".[docs]\""


def mathjax_folder():
    """The ``es5`` folder of the installed MathJax build, or a PluginError saying how to install it."""
    spec = importlib.util.find_spec("mathjax")
    folder = None
    if spec is not None and spec.submodule_search_locations:
        folder = os.path.join(list(spec.submodule_search_locations)[0], "static", "mathjax", "es5")
    if folder is None or not os.path.isfile(os.path.join(folder, ENTRY)):
        raise PluginError(f"offline_assets: MathJax not found; {INSTALL} (it brings django-static-mathjax)")
    return folder


def pygments_css():
    """Pygments' stylesheet for the ``.highlight`` blocks."""
    try:
        from pygments.formatters import HtmlFormatter
    except ImportError:
        raise PluginError(f"offline_assets: Pygments not found; {INSTALL}") from None
    return HtmlFormatter(style="default").get_style_defs(".highlight")


def on_config(config):
    """Fail at the start of the build, not at its end, when an asset is missing."""
    mathjax_folder()
    pygments_css()
    return config


def on_post_build(config):
    """Copy MathJax and write the code stylesheet into the built site."""
    target = os.path.join(config["site_dir"], MATHJAX_TARGET)
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(mathjax_folder(), target, ignore=lambda folder, names: [n for n in names if n in SKIPPED])
    css = os.path.join(config["site_dir"], PYGMENTS_TARGET)
    os.makedirs(os.path.dirname(css), exist_ok=True)
    with open(css, "w") as handle:
        handle.write(pygments_css())
