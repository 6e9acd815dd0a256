"""Write the README's table of our curated CSV's columns from `timeline.model.schema`.

    python scripts/build_docs.py          # rewrite README.md in place
    python scripts/build_docs.py --check  # exit 1 if README.md is out of date

The table sits between `<!-- columns:curated -->` and `<!-- /columns -->`; tests run the check.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from timeline.model.schema import CURATED, markdown_table

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"(<!-- columns:curated -->\n).*?(\n<!-- /columns -->)", re.DOTALL)


def with_tables(text: str) -> str:
    if not BLOCK.search(text):
        raise SystemExit("README.md has no <!-- columns:curated --> block")
    return BLOCK.sub(lambda m: m.group(1) + markdown_table(CURATED) + m.group(2), text)


def main(argv: list[str]) -> int:
    text = README.read_text("utf-8")
    wanted = with_tables(text)
    if "--check" in argv:
        if wanted != text:
            print("README.md's table of columns is out of date: python scripts/build_docs.py")
            return 1
        return 0
    README.write_text(wanted, "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
