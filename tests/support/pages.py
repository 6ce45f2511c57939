"""Reading the site's pages in tests: the <main> of a response as a small tree, searched by
tag, class and attributes, and read as a person reads it."""

from html.parser import HTMLParser

INLINE = {"a", "abbr", "b", "code", "em", "i", "label", "q", "small", "span", "strong", "time"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


def attribute(keyword):
    """aria_label= for aria-label, for_= for for."""
    return keyword.rstrip("_").replace("_", "-")


class Element:
    def __init__(self, tag, attrs):
        self.tag, self.attrs, self.children = tag, attrs, []

    def _pieces(self):
        for child in self.children:
            if isinstance(child, str):
                yield child
            else:
                # Block elements read as separate words; inline ones run on.
                gap = "" if child.tag in INLINE else " "
                yield gap
                yield from child._pieces()
                yield gap

    @property
    def text(self):
        return " ".join("".join(self._pieces()).split())

    def has_class(self, name):
        return name in (self.attrs.get("class") or "").split()

    def find_all(self, tag=None, cls=None, **attrs):
        found = []
        for child in self.children:
            if isinstance(child, str):
                continue
            if (
                (tag is None or child.tag == tag)
                and (cls is None or child.has_class(cls))
                and all(child.attrs.get(attribute(k)) == v for k, v in attrs.items())
            ):
                found.append(child)
            found += child.find_all(tag, cls, **attrs)
        return found

    def find(self, tag=None, cls=None, **attrs):
        found = self.find_all(tag, cls, **attrs)
        return found[0] if found else None


class TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {k: ("" if v is None else v) for k, v in attrs})
        self.stack[-1].children.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Element(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag):
        if tag in (e.tag for e in self.stack[1:]):
            while self.stack.pop().tag != tag:
                pass

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def tree(response):
    """The whole page: the header, <main> and the footer."""
    builder = TreeBuilder()
    builder.feed(response.content.decode())
    return builder.root


def parsed(response):
    """The page's <main>: everything but the navigation and the footer."""
    return tree(response).find("main")


def header_count(response):
    """The header's link to the notices as a person reads it: "Notices 3 unread"."""
    return tree(response).find("a", cls="notices-link").text


def day(value):
    """A date as the site and the MOU write it: March 7, 2026."""
    return f"{value:%B} {value.day}, {value:%Y}"


def form_data(prefix, fields):
    """What a browser posts for a form with this prefix (its action's name): every field's name
    starts with it; the page's `seen` is the page's, not the form's."""
    return {key if key == "seen" else f"{prefix}-{key}": value for key, value in fields.items()}


def field_name(form, name):
    """A field's name in a form of a request's or an MOU's page (or in the one form of a part
    of it): the form's prefix, which is the action's name as its address says it (mou/sign is
    sign), then the field's."""
    if "action" not in form.attrs:
        form = form.find("form")
    address = form.attrs["action"].split("/r/", 1)[1].split("/", 1)[1]
    return f"{address.removeprefix('mou/').replace('/', '-')}-{name}"


def pages_of(response):
    """The pagination of the page's list (includes/pagination.html): (where the page is, in
    words; {each link's text: its address}), or None when the list fits on one page."""
    navs = [
        nav
        for nav in parsed(response).find_all("nav")
        if nav.attrs.get("aria-label", "").startswith("Pages of ")
    ]
    if not navs:
        return None
    (nav,) = navs
    links = {a.text: a.attrs["href"] for a in nav.find_all("a")}
    return nav.find(aria_current="page").text, links
