"""The docs stand on their own: every relative link resolves inside the repository, and
nothing points at a document that is not in it (SERVICE-STANDARD.md lived outside)."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_every_relative_link_resolves():
    broken = []
    for doc in DOCS:
        for target in LINK.findall(doc.read_text(encoding="utf-8")):
            if "://" in target or target.startswith("mailto:"):
                continue
            if not (doc.parent / target).exists():
                broken.append(f"{doc.relative_to(REPO)} -> {target}")
    assert not broken, broken


def test_no_reference_to_documents_outside_the_repository():
    for path in [*DOCS, *(REPO / "agent").rglob("*.py"), *(REPO / "agent").rglob("*.yaml")]:
        assert "SERVICE-STANDARD" not in path.read_text(encoding="utf-8"), path
    assert (REPO / "docs" / "service-standard.md").exists()
