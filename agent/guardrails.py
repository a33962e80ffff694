"""Input guardrails: named checks that run before any tool, each returning a verdict.

They are listed in order in `INPUT_GUARDRAILS`; the turn runs them all, stores every
verdict with the shopper's message, and lets the first tripped one decide the reply. The
grounding check (agent/grounding.py) is the output guardrail.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from agent.tools import Shopper
from knowledge import Verdict

_INJECTION = re.compile(
    r"ignore\s+(?:all\s+|any\s+|the\s+|your\s+)?(?:previous|prior|above|earlier|preceding)?\s*(?:instructions|rules|prompts?|directions)"
    r"|disregard\s+(?:all\s+|any\s+|your\s+|the\s+)?(?:previous\s+|prior\s+|above\s+)?(?:instructions|rules|prompts?)"
    r"|forget\s+(?:all\s+|your\s+|everything|the\s+)?(?:previous\s+|prior\s+)?(?:instructions|rules|you were told)"
    r"|(?:system|developer|hidden|initial|original)\s+(?:prompt|message|instructions)"
    r"|(?:reveal|show|print|repeat|tell me|what are|output)\s+(?:me\s+)?(?:your|the)\s+"
    r"(?:instructions|rules|prompt|guidelines|configuration)"
    r"|developer\s+mode|\bdan\s+mode|\bjailbreak|god\s+mode|admin\s+mode|sudo\s+mode|debug\s+mode"
    r"|you\s+are\s+now\s+(?:a|an|in|my)\b|from\s+now\s+on,?\s+you\s+(?:are|will|must)|pretend\s+(?:to\s+be|you\s+are)"
    r"|act\s+as\s+(?:a|an|if)\b|new\s+instructions?:|override\s+(?:your|the|all)"
    r"|<\s*/?\s*(?:system|instructions?)\s*>|\[\s*(?:system|inst)\s*\]"
    r"|忽略(?:之前|以上|前面|所有)?的?(?:指令|指示|规则|提示)|系统提示|开发者模式|扮演|越狱",
    re.I,
)
_OTHER_SHOPPER = re.compile(
    r"\b(?:another|other|someone else'?s?|somebody else'?s?|a different)\s+(?:customer|user|person|shopper|account)s?\b"
    r"|\b(?:all|every|list (?:all|of))\s+(?:the\s+)?(?:customers|users|orders|accounts)\b"
    r"|\b(?:customer|user)\s+(?:id\s+|number\s+|#)?\w*\d+\b|\b(?:customer|user)_?id\b"
    r"|其他(?:客户|用户|人)的|别人的",
    re.I,
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_ABUSE = re.compile(
    r"\b(?:fuck\w*|shit\w*|bitch\w*|bastard\w*|asshole\w*|idiot\w*|stupid bot|moron\w*|dumbass|cunt\w*|retard\w*|"
    r"shut up|you suck|piece of (?:shit|crap))\b|傻逼|操你|滚蛋|白痴",
    re.I,
)


def prompt_injection(message: str, shopper: Shopper, own_email: str | None) -> Verdict:
    """Attempts to change the assistant's rules or read its instructions."""
    match = _INJECTION.search(message)
    return Verdict(name="prompt_injection", tripped=bool(match), reason=f"matched {match.group(0)!r}" if match else "")


def other_customers_data(message: str, shopper: Shopper, own_email: str | None) -> Verdict:
    """Requests for another customer's orders, profile or details (or for everyone's)."""
    match = _OTHER_SHOPPER.search(message)
    if match:
        return Verdict(name="other_customers_data", tripped=True, reason=f"matched {match.group(0)!r}")
    emails = {e.lower() for e in _EMAIL.findall(message)}
    foreign = emails - ({own_email.lower()} if own_email else set())
    if foreign:
        return Verdict(
            name="other_customers_data", tripped=True, reason="asks about an e-mail address that isn't the shopper's"
        )
    return Verdict(name="other_customers_data", tripped=False)


def abuse(message: str, shopper: Shopper, own_email: str | None) -> Verdict:
    """Insults and slurs: answered calmly, and counted towards a hand-off."""
    match = _ABUSE.search(message)
    return Verdict(name="abuse", tripped=bool(match), reason=f"matched {match.group(0)!r}" if match else "")


Guardrail = Callable[[str, Shopper, str | None], Verdict]

INPUT_GUARDRAILS: tuple[Guardrail, ...] = (prompt_injection, other_customers_data, abuse)


def run_input_guardrails(message: str, shopper: Shopper, own_email: str | None = None) -> list[Verdict]:
    """Every input guardrail's verdict, in order."""
    return [guardrail(message, shopper, own_email) for guardrail in INPUT_GUARDRAILS]
