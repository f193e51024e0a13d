"""The one pull-request comment (GitHub) or merge-request note (GitLab) the scorecard keeps:
found by a hidden marker and updated in place, so a pull request has one scorecard comment
however many times CI runs."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

#: Invisible in rendered Markdown; identifies the comment to update.
MARKER = "<!-- mltestscore:scorecard -->"
#: GitHub refuses comment bodies over 65,536 characters; GitLab's notes allow 1,000,000.
MAX_BODY = 65_000


def comment_body(markdown: str, footer: Iterable[str]) -> str:
    """The marker, the Markdown scorecard and the footer lines, cut to fit a comment."""
    tail = "\n\n" + "\n".join(footer)
    room = MAX_BODY - len(MARKER) - len(tail) - 80
    if len(markdown) > room:
        markdown = markdown[:room].rsplit("\n", 1)[0] + (
            "\n\n… (cut to fit a comment: the whole scorecard is in the HTML artifact)"
        )
    return f"{MARKER}\n{markdown.rstrip()}{tail}\n"


@dataclass(frozen=True)
class CommentThread:
    """A pull or merge request's comments as three calls: list (one page at a time),
    create and update. ``list_page(n)`` returns the n-th page (from 1) of dicts with ``id``
    and ``body``; an empty or short page is the last."""

    list_page: Callable[[int], list[dict[str, Any]]]
    create: Callable[[str], Any]
    update: Callable[[Any, str], Any]
    page_size: int = 100

    def find(self) -> Any | None:
        page = 1
        while True:
            comments = self.list_page(page)
            for comment in comments:
                if MARKER in str(comment.get("body") or ""):
                    return comment["id"]
            if len(comments) < self.page_size:
                return None
            page += 1

    def upsert(self, body: str) -> str:
        """Update the scorecard comment if there is one, else create it; says which."""
        existing = self.find()
        if existing is None:
            self.create(body)
            return "created"
        self.update(existing, body)
        return "updated"
