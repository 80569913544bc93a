"""Reading rendered pages the way a browser under the portal's CSP would."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

# <script type="..."> values a browser does not execute (data blocks such as json_script)
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json", "text/template"}


@dataclass
class Page:
    lang: str | None = None
    inline_scripts: list[str] = field(default_factory=list)  # executable code in <script> bodies
    script_srcs: list[str] = field(default_factory=list)
    stylesheet_hrefs: list[str] = field(default_factory=list)
    style_elements: int = 0
    style_attributes: list[str] = field(default_factory=list)  # tags that carry style=""
    event_handlers: list[str] = field(default_factory=list)  # onclick= and the like
    javascript_urls: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)  # every <a href>
    forms: list[dict] = field(default_factory=list)  # {"action", "method", "buttons": [(name, value)]}


class _Parser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._script: dict | None = None
        self._form: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for name, value in attrs:
            if name == "style":
                self.page.style_attributes.append(tag)
            if name.startswith("on"):
                self.page.event_handlers.append(f"{tag} {name}")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith("javascript:"):
                self.page.javascript_urls.append(value)
        if tag == "html":
            self.page.lang = a.get("lang")
        elif tag == "script":
            if a.get("src"):
                self.page.script_srcs.append(a["src"])
            self._script = {"type": (a.get("type") or "").lower(), "src": a.get("src"), "body": ""}
        elif tag == "style":
            self.page.style_elements += 1
        elif tag == "link" and "stylesheet" in (a.get("rel") or "").split():
            self.page.stylesheet_hrefs.append(a.get("href") or "")
        elif tag == "a" and a.get("href") is not None:
            self.page.links.append(a["href"])
        elif tag == "form":
            self._form = {"action": a.get("action"), "method": (a.get("method") or "get").lower(),
                          "buttons": [], "inputs": {}}
            self.page.forms.append(self._form)
        elif tag == "button" and self._form is not None:
            self._form["buttons"].append((a.get("name"), a.get("value")))
        elif tag == "input" and self._form is not None and a.get("name"):
            self._form["inputs"][a["name"]] = a.get("value")

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            body = self._script["body"].strip()
            if body and self._script["type"] not in DATA_SCRIPT_TYPES:
                self.page.inline_scripts.append(body)
            self._script = None
        elif tag == "form":
            self._form = None

    def handle_data(self, data):
        if self._script is not None:
            self._script["body"] += data


def parse(html: str | bytes) -> Page:
    if isinstance(html, bytes):
        html = html.decode()
    parser = _Parser()
    parser.feed(html)
    parser.close()
    return parser.page


def assert_csp_clean(html: str | bytes) -> Page:
    """The page runs under ``script-src 'self'; style-src 'self'`` without a single violation,
    and loads no script or style sheet from another site."""
    page = parse(html)
    assert page.inline_scripts == [], page.inline_scripts
    assert page.style_elements == 0
    assert page.style_attributes == [], page.style_attributes
    assert page.event_handlers == [], page.event_handlers
    assert page.javascript_urls == []
    for url in page.script_srcs + page.stylesheet_hrefs:
        assert url.startswith("/static/"), url
        assert "://" not in url and not url.startswith("//"), url
    return page
