from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from rights.content import Explainer, GlossaryTerm

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
