"""Store policies (shipping, returns, warranty, ...) as titled passages.

A policy is one Markdown file of the store folder. It is split at its headings into
passages small enough to quote in a prompt, each keeping its heading path so that an
answer can cite "Returns › Refund timing" rather than a whole page.
"""

from __future__ import annotations

import re

from langchain_text_splitters import MarkdownHeaderTextSplitter, RecursiveCharacterTextSplitter
from pydantic import Field

from knowledge._fields import Fact, Id, Text

# A passage is quoted whole in the agent's prompt; ~1,200 characters (~300 tokens) keeps
# three or four of them inside a small model's budget next to the product facts.
PASSAGE_CHARS = 1200

_HEADINGS = [("#", "h1"), ("##", "h2"), ("###", "h3")]


class PolicyPassage(Fact):
    """One quotable passage of a store policy."""

    id: Id
    policy_id: Id
    policy_title: Text
    section: Text = Field(default="", description="Heading path inside the policy, ' › '-joined")
    text: Text = Field(min_length=1)

    def heading(self) -> str:
        return f"{self.policy_title} › {self.section}" if self.section else self.policy_title


class Policy(Fact):
    """A whole policy document: its title and its passages in reading order."""

    id: Id
    title: Text
    passages: list[PolicyPassage]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "intro"


def parse_policy(markdown: str, policy_id: str) -> Policy:
    """Split a Markdown policy into passages at its headings.

    The first `#` heading is the policy's title (the file name when there is none).
    Sections longer than PASSAGE_CHARS are split further at paragraph boundaries.
    Passage ids derive from the heading path, so editing one section leaves the other
    passages' ids (and their index entries) untouched.

    Raises:
        ValueError: when the document has no text at all.
    """
    sections = MarkdownHeaderTextSplitter(headers_to_split_on=_HEADINGS).split_text(markdown)
    if not sections:
        raise ValueError("the policy has no text")
    title = next((s.metadata["h1"] for s in sections if "h1" in s.metadata), None)
    title = title or policy_id.replace("-", " ").replace("_", " ").capitalize()
    splitter = RecursiveCharacterTextSplitter(chunk_size=PASSAGE_CHARS, chunk_overlap=0)
    passages: list[PolicyPassage] = []
    seen: dict[str, int] = {}
    for section in sections:
        path = [section.metadata[key] for _, key in _HEADINGS[1:] if key in section.metadata]
        heading = " › ".join(path)
        for chunk in splitter.split_text(section.page_content):
            # Markdown line breaks ("  \n") become plain newlines in the quoted text.
            text = re.sub(r"[ \t]+\n", "\n", chunk).strip()
            if not text:
                continue
            base = f"{policy_id}#{_slug(heading)}"
            seen[base] = seen.get(base, 0) + 1
            passage_id = base if seen[base] == 1 else f"{base}-{seen[base]}"
            passages.append(
                PolicyPassage(id=passage_id, policy_id=policy_id, policy_title=title, section=heading, text=text)
            )
    if not passages:
        raise ValueError("the policy has headings but no text")
    return Policy(id=policy_id, title=title, passages=passages)
