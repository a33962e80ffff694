"""Personal data in free text: e-mail addresses, phone numbers, card-like numbers, street addresses.

The dialogue model never needs a shopper's card number or phone number to answer, so they
are replaced by a placeholder in the text it is given, and the server's logs get the same
treatment. Order and tracking numbers are kept: answers are about them.
"""

from __future__ import annotations

import re

_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
# 13-19 digits in groups (cards), checked with Luhn so order numbers stay.
_CARD = re.compile(r"(?<![\w#])(?:\d[ -]?){12,18}\d(?!\w)")
_PHONE = re.compile(r"(?<![\w#])(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?)?\d{3,4}[ .-]\d{3,4}(?:[ .-]\d{2,4})?(?!\w)")
_STREET = re.compile(
    r"\b\d{1,5}\s+(?:[A-Z][a-z]+\s){1,3}(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way)\b\.?"
)


def _luhn(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())
    return "[card number]" if 13 <= len(digits) <= 19 and _luhn(digits) else match.group()


def redact(text: str) -> str:
    """`text` with e-mails, card numbers, phone numbers and street addresses replaced.

    Example:
        >>> redact("I'm jo@example.com, card 4111 1111 1111 1111, call 555-123-4567")
        "I'm [email], card [card number], call [phone]"
    """
    text = _EMAIL.sub("[email]", text)
    text = _CARD.sub(_card, text)
    text = _PHONE.sub("[phone]", text)
    return _STREET.sub("[address]", text)
