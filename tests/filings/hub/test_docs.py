"""The partner documentation lists every refusal code the hub can give, as rules.py has them."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_error_code_table_is_current():
    spec = importlib.util.spec_from_file_location("gen_ceb_spec", ROOT / "scripts" / "gen_ceb_spec.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    text = (ROOT / "docs" / "declaration-hub.md").read_text(encoding="utf-8")
    assert text == gen.docs_with_codes(text), "run: python scripts/gen_ceb_spec.py --docs"
