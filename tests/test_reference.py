"""Every citation resolves inside the repo: "reference §N", "§N item M" and "rule N" in code,
tests, benchmarks and docs each name a heading or numbered item of `docs/reference.md`
(its "How to cite this page" table), and nothing cites the external contract or style
guide, which are not in the repo."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "docs" / "reference.md"

# Written so that this file does not match itself: the external contract and style guide.
BANNED = re.compile(r"\b(?:S[P]EC|S[T]YLE)\b")
SECTION = r"(\d+(?:\.\d+)*)"
NUMBERS = r"(\d+(?:\s*(?:,|and|–|-|to)\s*\d+)*)"
SECTION_CITE = re.compile(rf"§{SECTION}")
ITEM_CITE = re.compile(rf"§{SECTION}\s+items?\s+{NUMBERS}")
RULE_CITE = re.compile(rf"\b[Rr]ules?\s+{NUMBERS}")
HEADING = re.compile(rf"^#{{2,4}}\s+§{SECTION}\b", re.M)
ITEM = re.compile(r"^(\d+)\.\s")


def _cited_files() -> list[Path]:
    files = [ROOT / "README.md"]
    for folder in ("src", "tests", "benchmarks"):
        files += sorted((ROOT / folder).rglob("*.py")) + sorted((ROOT / folder).rglob("*.md"))
    files += sorted((ROOT / "docs").glob("*.md"))
    return [f for f in files if ".egg-info" not in f.parts]


def _flat(text: str) -> str:
    """Join wrapped lines (comment markers included) so a citation split over two lines
    reads as one."""
    return re.sub(r"[ \t]*\n[ \t]*(?:#[ \t]*)?", " ", text)


def _numbers(listed: str) -> set[int]:
    found: set[int] = set()
    for part in re.split(r"\s*(?:,|and)\s*", listed):
        bounds = [int(n) for n in re.findall(r"\d+", part)]
        if len(bounds) == 2:
            found |= set(range(bounds[0], bounds[1] + 1))
        else:
            found |= set(bounds)
    return found


def _anchors() -> tuple[set[str], dict[str, set[int]]]:
    """Section numbers of the headings, and the numbered items under each one."""
    sections: set[str] = set()
    items: dict[str, set[int]] = {}
    current = ""
    for line in REFERENCE.read_text(encoding="utf-8").splitlines():
        heading = HEADING.match(line)
        if heading:
            current = heading.group(1)
            sections.add(current)
            items.setdefault(current, set())
        elif line.startswith("#"):
            current = ""
        elif current and (item := ITEM.match(line)):
            items[current].add(int(item.group(1)))
    return sections, items


SECTIONS, ITEMS = _anchors()
FILES = _cited_files()


def test_the_reference_numbers_its_sections_rules_and_corrections() -> None:
    for number in ("1", "2", "3", "4", "5", "6", "7", "8", "10", "10.1", "10.10"):
        assert number in SECTIONS, f"docs/reference.md has no §{number} heading"
    assert set(range(1, 20)) <= ITEMS["2"], "rules 1–19 are items of §2"
    assert set(range(1, 27)) <= ITEMS["10.1"], "corrections 1–26 are items of §10.1"


@pytest.mark.parametrize("path", FILES, ids=[str(f.relative_to(ROOT)) for f in FILES])
def test_every_citation_resolves_to_the_reference(path: Path) -> None:
    text = _flat(path.read_text(encoding="utf-8"))
    broken: list[str] = []
    for match in SECTION_CITE.finditer(text):
        if match.group(1) not in SECTIONS:
            broken.append(f"§{match.group(1)}")
    for match in ITEM_CITE.finditer(text):
        section, listed = match.group(1), match.group(2)
        missing = _numbers(listed) - ITEMS.get(section, set())
        broken += [f"§{section} item {n}" for n in sorted(missing)]
    for match in RULE_CITE.finditer(text):
        missing = _numbers(match.group(1)) - ITEMS["2"]
        broken += [f"rule {n}" for n in sorted(missing)]
    assert not broken, f"{path.relative_to(ROOT)} cites what docs/reference.md lacks: {broken}"


@pytest.mark.parametrize("path", FILES, ids=[str(f.relative_to(ROOT)) for f in FILES])
def test_nothing_cites_documents_outside_the_repo(path: Path) -> None:
    if path == REFERENCE:
        return  # its opening note says which contract it restates
    hits = [
        f"line {number}: {line.strip()}"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if BANNED.search(line)
    ]
    assert not hits, f"{path.relative_to(ROOT)} cites a file outside the repo: {hits}"


def test_the_readme_links_the_reference() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(docs/reference.md)" in readme
