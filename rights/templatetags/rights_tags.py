from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from portal.readers import retention_sentences
from rights.content import Explainer, GlossaryTerm, get_library, resolve_link

register = template.Library()


@register.filter
def language_attributes(item: Explainer | GlossaryTerm, page_language: str) -> SafeString:
    """` lang="en" dir="ltr"` when an item is shown in another language than the page (an English
    fallback on an Arabic page), so screen readers switch voice and the text runs the right way.

    Put it on inline or block content, not on a <li>: a left-to-right list item inside a
    right-to-left list hangs its marker outside the page.
    """
    if item.language == page_language:
        return SafeString("")
    return format_html(' lang="{}" dir="ltr"', item.language)


@register.filter
def html_for_reader(explainer: Explainer, page_language: str) -> SafeString:
    """An explainer's HTML, with its links kept in the reader's language when it is shown in
    another (an English page on an Arabic site): a glossary link goes to the reader's glossary
    where the term is translated, and links to explainers and portal pages stay in the reader's
    language (those pages fall back to English themselves). rights/content.py renders each
    explainer's links in the explainer's own language."""
    html = explainer.html
    if explainer.language == page_language:
        return SafeString(html)
    reader_terms = get_library().glossary.get(page_language, {})
    for scheme, target in dict.fromkeys(explainer.links):
        if scheme == "glossary" and target not in reader_terms:
            continue
        written = resolve_link(scheme, target, explainer.language)
        wanted = resolve_link(scheme, target, page_language)
        if written and wanted and written != wanted:
            html = html.replace(f'href="{written}"', f'href="{wanted}" hreflang="{page_language}"')
    return SafeString(html)


# The explainer that says who can read an account (portal/readers.py renders its list).
WHO_CAN_READ = "your-information-your-choice"


@register.inclusion_tag("rights/about_portal.html", takes_context=True)
def about_this_portal(context: template.Context) -> dict[str, object]:
    """What a survivor needs to know before deciding anything, on every rights page and the
    intake start: who runs this, what it cannot promise, how long an account is kept (from
    RETENTION_DAYS_AFTER_CLOSE, the setting the purge uses)."""
    explainer = context.get("explainer")
    on_that_page = explainer is not None and getattr(explainer, "slug", "") == WHO_CAN_READ
    return {
        "retention": retention_sentences(),
        "who_can_read": None if on_that_page else WHO_CAN_READ,
    }
