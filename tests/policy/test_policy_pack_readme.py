"""policy_pack/README.md documents every policy with its true default level."""

from __future__ import annotations

import re

from ome_mcp_policy import POLICIES
from policy_fixtures import PACK_DIR

ROW = re.compile(r"^\| `(?P<name>[a-z0-9-]+)` \|.*\| (?P<level>ADVISORY|MANDATORY) \| "
                 r"(?P<severity>low|medium|high|critical) \|", re.MULTILINE)


def test_readme_table_matches_the_pack() -> None:
    rows = {m["name"]: (m["level"].lower(), m["severity"])
            for m in ROW.finditer((PACK_DIR / "README.md").read_text())}
    pack = {p.name: (p.enforcement_level.value, p.severity.value) for p in POLICIES}
    assert rows == pack
