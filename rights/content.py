"""The rights library: explainers and glossary, read from rights/content/<language>/ once.

Each explainer is a Markdown file with TOML front matter between `+++` lines (see README, "Adding
or updating an explainer"). The whole library is parsed and rendered to HTML the first time it is
needed and then kept in memory: a page view only looks it up.

Links inside explainers use three schemes that are resolved here, per language:
`glossary:slug` (a glossary entry), `explainer:slug` (another explainer) and `page:name` (a page of
the portal, see PAGE_URL_NAMES).

A paragraph that is only `[[name]]` is a directive: the portal writes that part of the page from
its own code, so that what an explainer says about the portal is what the portal does (see
DIRECTIVES: `[[readers]]`, who can read an account; `[[retention]]`, how long it is kept).

Explainers about cases still under way carry `ongoing = true`: the page shows when it was last
reviewed, and says it may be out of date once that is more than REVIEW_MONTHS ago.
"""

import functools
import hashlib
import html as html_module
import math
import re
import tomllib
import unicodedata
import xml.etree.ElementTree as etree
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import markdown
from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from markdown.blockprocessors import BlockProcessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import AtomicString

from portal.dates import add_months
from portal.readers import NOTES, READERS, retention_sentences

CONTENT_DIR = Path(__file__).resolve().parent / "content"
SOURCE_LANGUAGE = "en"

# The index groups explainers by the question a survivor arrives with, in this order.
QUESTIONS = {
    "is-it-a-crime": _("Is what happened to me a crime?"),
    "the-icc": _("What is the International Criminal Court, and what can it do?"),
    "telling-and-taking-part": _("Can I tell someone, or take part in a case?"),
    "protection-and-support": _("Will I be protected, and what support is there?"),
    "asylum-and-other-routes": _("Can I get asylum, or justice some other way?"),
}

# Pages of the portal that explainers may link to with `page:name`. A page whose app is not
# installed yet resolves to None, and the link text is shown without a link.
PAGE_URL_NAMES = {"help": "help", "intake": "intake:start", "rights": "rights:index"}

# A translation is "reviewed" once a lawyer fluent in the language has checked it against the
# sources; "original" marks the English text; anything else shows the reader a notice.
TRANSLATION_STATUSES = ("original", "reviewed", "unreviewed")

_WORD = re.compile(r"\w+")

# An explainer about cases still under way may be out of date this many months after its review.
REVIEW_MONTHS = 6

# Reading speed for plain language read on a phone, often in a second language.
WORDS_PER_MINUTE = 150

REQUIRED_FRONT_MATTER = {
    "title": str,
    "summary": str,
    "question": str,
    "order": int,
    "last_reviewed": date,
    "related": list,
    "sources": list,
    "translation_status": str,
}


class ContentError(Exception):
    """A content file is malformed; the message names the file and the problem."""


@dataclass(frozen=True)
class Source:
    cite: str
    document: str
    url: str


@dataclass(frozen=True)
class Explainer:
    slug: str
    language: str
    title: str
    summary: str
    question: str
    order: int
    last_reviewed: date
    related: tuple[str, ...]
    sources: tuple[Source, ...]
    translation_status: str
    html: str
    text: str
    links: tuple[tuple[str, str], ...]
    ongoing: bool = False

    @property
    def reading_minutes(self) -> int:
        # Count words, not whitespace-separated pieces: French puts a (non-breaking) space before
        # ":", "?" and "»", which would otherwise count as words.
        return max(1, math.ceil(len(_WORD.findall(self.text)) / WORDS_PER_MINUTE))

    @property
    def needs_review_notice(self) -> bool:
        return self.translation_status == "unreviewed"

    def may_be_out_of_date(self, today: date) -> bool:
        """True for a page about cases under way whose review is more than REVIEW_MONTHS old."""
        return self.ongoing and today > add_months(self.last_reviewed, REVIEW_MONTHS)

    def out_of_date_from(self) -> date:
        """The first day on which may_be_out_of_date() is true (for pages about cases under way)."""
        return add_months(self.last_reviewed, REVIEW_MONTHS) + timedelta(days=1)


@dataclass(frozen=True)
class GlossaryTerm:
    slug: str
    term: str
    definition: str
    language: str


@dataclass
class Library:
    explainers: dict[str, dict[str, Explainer]] = field(default_factory=dict)
    glossary: dict[str, dict[str, GlossaryTerm]] = field(default_factory=dict)
    # The content version: a hash of every file under the content folder, names and bytes, and
    # the newest of their modification times. Rendered pages are kept per version (rights/pages.py).
    version: str = ""
    modified: float = 0.0

    def explainer(self, language: str, slug: str) -> Explainer | None:
        """The explainer in the reader's language, else the English one, else None."""
        translated = self.explainers.get(language, {}).get(slug)
        return translated or self.explainers[SOURCE_LANGUAGE].get(slug)

    def explainers_for(self, language: str) -> list[Explainer]:
        """Every explainer as a reader of `language` sees it (English where not translated)."""
        translated = self.explainers.get(language, {})
        result = [translated.get(slug, e) for slug, e in self.explainers[SOURCE_LANGUAGE].items()]
        return sorted(result, key=lambda e: (list(QUESTIONS).index(e.question), e.order))

    def glossary_for(self, language: str) -> list[GlossaryTerm]:
        terms = []
        for slug, english in self.glossary[SOURCE_LANGUAGE].items():
            terms.append(self.glossary.get(language, {}).get(slug, english))
        return sorted(terms, key=lambda t: normalise(t.term))

    def explainers_using_term(self, language: str, term_slug: str) -> list[Explainer]:
        return [e for e in self.explainers_for(language) if ("glossary", term_slug) in e.links]


# --- Rendering ---------------------------------------------------------------------------------


def resolve_link(scheme: str, target: str, language: str) -> str | None:
    """The URL for an internal link, in `language`; None for a page that is not available."""
    with translation.override(language):
        if scheme == "glossary":
            return f"{reverse('rights:glossary')}#{target}"
        if scheme == "explainer":
            return reverse("rights:explainer", args=[target])
        try:
            return reverse(PAGE_URL_NAMES[target])
        except NoReverseMatch:
            return None


class InternalLinks(Treeprocessor):
    """Rewrites glossary:, explainer: and page: links to URLs and records them for validation."""

    SCHEMES = ("glossary", "explainer", "page")

    def __init__(self, md: markdown.Markdown, language: str) -> None:
        super().__init__(md)
        self.language = language
        self.links: list[tuple[str, str]] = []

    def run(self, root: etree.Element) -> None:
        for parent in root.iter():
            for element in list(parent):
                if element.tag != "a":
                    continue
                href = element.get("href", "")
                scheme, _, target = href.partition(":")
                if scheme not in self.SCHEMES:
                    raise ContentError(f"link {href!r}: only glossary:, explainer: and page: links")
                self.links.append((scheme, target))
                if scheme == "page" and target not in PAGE_URL_NAMES:
                    raise ContentError(f"link {href!r}: unknown page {target!r}")
                url = resolve_link(scheme, target, self.language)
                if url is None:
                    # Keep the words, drop the link: the page is not part of this deployment.
                    element.tag = "span"
                    del element.attrib["href"]
                    continue
                element.set("href", url)
                if scheme == "glossary":
                    element.set("class", "term")


def _readers(parent: etree.Element) -> None:
    """Who can read an account, from portal/readers.py (the list the code is tested against)."""
    readers = etree.SubElement(parent, "ul", {"class": "readers"})
    for reader in READERS:
        item = etree.SubElement(readers, "li")
        name = etree.SubElement(item, "strong")
        name.text = AtomicString(str(reader.name))
        name.tail = AtomicString(" " + str(reader.description))
    for note in NOTES:
        etree.SubElement(parent, "p").text = AtomicString(str(note))


def _retention(parent: etree.Element) -> None:
    """How long an account is kept, from the setting the retention purge uses."""
    for sentence in retention_sentences():
        etree.SubElement(parent, "p").text = AtomicString(sentence)


# `[[name]]` on a line of its own: the portal writes this part of the page (in the page's
# language, from code and settings). Anything else between double brackets is an error.
DIRECTIVES = {"readers": _readers, "retention": _retention}


class Directives(BlockProcessor):
    PATTERN = re.compile(r"\[\[([a-z-]+)\]\]")

    def test(self, parent: etree.Element, block: str) -> bool:
        return self.PATTERN.fullmatch(block.strip()) is not None

    def run(self, parent: etree.Element, blocks: list[str]) -> None:
        match = self.PATTERN.fullmatch(blocks.pop(0).strip())
        name = match.group(1) if match else ""  # test() matched this block
        if name not in DIRECTIVES:
            raise ContentError(f"unknown directive [[{name}]]: only {sorted(DIRECTIVES)}")
        DIRECTIVES[name](parent)


def render_markdown(body: str, language: str) -> tuple[str, list[tuple[str, str]]]:
    md = markdown.Markdown(extensions=["sane_lists"], output_format="html")
    # Raw HTML in an explainer is shown as text, never passed through: content is reviewed as
    # Markdown only, and nothing in it can add a script or a third-party request.
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    md.parser.blockprocessors.register(Directives(md.parser), "directives", 200)
    links = InternalLinks(md, language)
    md.treeprocessors.register(links, "internal_links", 5)
    # Directives are written in the page's language.
    with translation.override(language):
        html = md.convert(body)
    return html, links.links


_TAGS = re.compile(r"<[^>]+>")


def html_to_text(html: str) -> str:
    """The visible text of rendered HTML, for search, reading time and readability checks."""
    text = _TAGS.sub(" ", html)
    return re.sub(r"\s+", " ", html_module.unescape(text)).strip()


# --- Loading -----------------------------------------------------------------------------------


def split_front_matter(text: str, path: Path) -> tuple[dict[str, object], str]:
    if not text.startswith("+++\n"):
        raise ContentError(f"{path}: must start with +++ front matter")
    try:
        front, body = text[4:].split("\n+++\n", 1)
        meta = tomllib.loads(front)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise ContentError(f"{path}: front matter is not valid TOML ({exc})") from None
    return meta, body


def load_explainer(path: Path, language: str) -> Explainer:
    meta, body = split_front_matter(path.read_text(encoding="utf-8"), path)
    for key, kind in REQUIRED_FRONT_MATTER.items():
        if not isinstance(meta.get(key), kind) or meta.get(key) in ("", []):
            raise ContentError(f"{path}: front matter needs {key} ({kind.__name__})")
    if meta["question"] not in QUESTIONS:
        raise ContentError(f"{path}: unknown question {meta['question']!r}")
    if meta["translation_status"] not in TRANSLATION_STATUSES:
        raise ContentError(f"{path}: unknown translation_status {meta['translation_status']!r}")
    sources = []
    for source in meta["sources"]:  # type: ignore[attr-defined]
        if not all(
            isinstance(source.get(k), str) and source[k] for k in ("cite", "document", "url")
        ):
            raise ContentError(f"{path}: every source needs cite, document and url")
        if not source["url"].startswith("https://"):
            raise ContentError(f"{path}: source url {source['url']!r} must be https")
        sources.append(Source(source["cite"], source["document"], source["url"]))
    if not isinstance(meta.get("ongoing", False), bool):
        raise ContentError(f"{path}: ongoing must be true or false")
    html, links = render_markdown(body, language)
    related: list[str] = meta["related"]  # type: ignore[assignment]  # checked above
    last_reviewed: date = meta["last_reviewed"]  # type: ignore[assignment]
    order: int = meta["order"]  # type: ignore[assignment]
    return Explainer(
        slug=path.stem,
        language=language,
        title=str(meta["title"]),
        summary=str(meta["summary"]),
        question=str(meta["question"]),
        order=order,
        last_reviewed=last_reviewed,
        related=tuple(related),
        sources=tuple(sources),
        translation_status=str(meta["translation_status"]),
        html=html,
        text=html_to_text(html),
        links=tuple(links),
        ongoing=bool(meta.get("ongoing", False)),
    )


def load_glossary(path: Path, language: str) -> dict[str, GlossaryTerm]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ContentError(f"{path}: not valid TOML ({exc})") from None
    terms = {}
    for entry in data.get("term", []):
        if not all(
            isinstance(entry.get(k), str) and entry[k] for k in ("slug", "term", "definition")
        ):
            raise ContentError(f"{path}: every term needs slug, term and definition")
        terms[entry["slug"]] = GlossaryTerm(
            entry["slug"], entry["term"], entry["definition"], language
        )
    return terms


def check_references(library: Library) -> None:
    """Every slug a page names exists: related explainers, links, glossary terms, translations."""
    english = library.explainers[SOURCE_LANGUAGE]
    english_terms = library.glossary[SOURCE_LANGUAGE]
    for language, explainers in library.explainers.items():
        for slug, explainer in explainers.items():
            where = f"{language}/{slug}.md"
            if slug not in english:
                raise ContentError(f"{where}: no English explainer with this slug")
            for related in explainer.related:
                if related not in english or related == slug:
                    raise ContentError(f"{where}: related explainer {related!r} does not exist")
            for scheme, target in explainer.links:
                if scheme == "explainer" and target not in english:
                    raise ContentError(f"{where}: link to unknown explainer {target!r}")
                if scheme == "glossary" and target not in english_terms:
                    raise ContentError(f"{where}: link to unknown glossary term {target!r}")
    for language, terms in library.glossary.items():
        unknown = set(terms) - set(english_terms)
        if unknown:
            raise ContentError(f"{language}/glossary.toml: terms not in English: {sorted(unknown)}")


def content_version(content_dir: Path) -> tuple[str, float]:
    """A hash of every file under `content_dir` (names and bytes), and their newest mtime."""
    digest = hashlib.sha256()
    newest = 0.0
    for path in sorted(p for p in content_dir.rglob("*") if p.is_file()):
        name = path.relative_to(content_dir).as_posix().encode()
        data = path.read_bytes()
        # Lengths first, so that no two different sets of files hash alike.
        digest.update(b"%d:%s%d:" % (len(name), name, len(data)) + data)
        newest = max(newest, path.stat().st_mtime)
    return digest.hexdigest(), newest


def load_library(content_dir: Path = CONTENT_DIR) -> Library:
    library = Library()
    library.version, library.modified = content_version(content_dir)
    languages = {code for code, _ in settings.LANGUAGES}
    for folder in sorted(p for p in content_dir.iterdir() if p.is_dir()):
        language = folder.name
        if language not in languages:
            raise ContentError(f"{folder}: {language!r} is not a configured language")
        library.explainers[language] = {
            path.stem: load_explainer(path, language) for path in sorted(folder.glob("*.md"))
        }
        glossary = folder / "glossary.toml"
        if glossary.exists():
            library.glossary[language] = load_glossary(glossary, language)
    if SOURCE_LANGUAGE not in library.explainers or SOURCE_LANGUAGE not in library.glossary:
        raise ContentError(f"{content_dir}: the English explainers and glossary are required")
    check_references(library)
    return library


@functools.cache
def get_library() -> Library:
    """The library, parsed and rendered once per process (the first request, or app start)."""
    return load_library(CONTENT_DIR)


# --- Search ------------------------------------------------------------------------------------

# Letters that Arabic and Persian writers use interchangeably, folded to one form for matching.
_LETTER_VARIANTS = str.maketrans(
    {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ی", "ي": "ی", "ك": "ک", "ة": "ه", "ـ": None}
)


def normalise(text: str) -> str:
    """Case-, accent- and letter-variant-insensitive form of text, for search."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    without_marks = "".join(c for c in decomposed if not unicodedata.combining(c))
    return without_marks.translate(_LETTER_VARIANTS)


MAX_QUERY_LENGTH = 200


@dataclass(frozen=True)
class SearchResult:
    explainer: Explainer
    snippet: str


def search(library: Library, language: str, query: str) -> list[SearchResult]:
    """Explainers whose title, summary or body contain every word of the query, best first."""
    words = _WORD.findall(normalise(query[:MAX_QUERY_LENGTH]))
    if not words:
        return []
    scored = []
    for explainer in library.explainers_for(language):
        title, summary = normalise(explainer.title), normalise(explainer.summary)
        body = normalise(explainer.text)
        if not all(w in title or w in summary or w in body for w in words):
            continue
        score = sum(3 * (w in title) + 2 * (w in summary) + body.count(w) for w in words)
        scored.append((score, explainer))
    scored.sort(key=lambda pair: (-pair[0], pair[1].title))
    return [SearchResult(e, snippet(e.text, words)) for _, e in scored]


def snippet(text: str, words: list[str], width: int = 160) -> str:
    """About `width` characters of text around the first query word found."""
    folded = normalise(text)
    # Normalising can change lengths (for example, removing combining marks), so map back by
    # searching the folded text and cutting the original at roughly the same place.
    positions = [folded.find(w) for w in words if folded.find(w) >= 0]
    aligned = positions and len(folded) == len(text)
    start = max(0, min(positions) - width // 3) if aligned else 0
    piece = text[start : start + width].strip()
    prefix = "… " if start > 0 else ""
    suffix = " …" if start + width < len(text) else ""
    return f"{prefix}{piece}{suffix}"
