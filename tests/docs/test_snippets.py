"""Every Python example in docs/ runs, so the documentation cannot drift from the code.

Each page's ```python blocks run in order in one namespace, as a reader would paste them into one
file (a later block may use what an earlier one defined). A block guarded by
``if __name__ == "__main__":`` defines a program without starting it; the page's next block then
exercises it. `anyio.run` in a block runs on the backend under test, so every page runs on asyncio
and on trio.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import anyio
import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
FENCE = re.compile(r"^```python\n(.*?)^```$", re.DOTALL | re.MULTILINE)
PAGES = sorted(DOCS.rglob("*.md"))


def snippets(page: Path) -> list[str]:
    """The page's Python code blocks, in order."""
    return FENCE.findall(page.read_text(encoding="utf-8"))


def page_id(page: Path) -> str:
    return str(page.relative_to(DOCS))


def test_docs_are_found_and_have_examples() -> None:
    assert DOCS / "getting-started.md" in PAGES
    assert sum(len(snippets(page)) for page in PAGES) >= 20


@pytest.mark.parametrize("page", [p for p in PAGES if snippets(p)], ids=page_id)
@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_page_examples_run(
    page: Path, backend: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real_run: Callable[..., Any] = anyio.run
    monkeypatch.setattr(anyio, "run", partial(real_run, backend=backend))
    namespace: dict[str, Any] = {"__name__": "docs_example"}
    for number, code in enumerate(snippets(page), 1):
        compiled = compile(code, f"{page_id(page)}, example {number}", "exec")
        exec(compiled, namespace)
    printed = capsys.readouterr().out
    expected = re.findall(r"^<!-- prints: (.*) -->$", page.read_text(encoding="utf-8"), re.M)
    for line in expected:
        assert line in printed.splitlines()
