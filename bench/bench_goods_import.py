"""Goods filing Excel import: 10,000 rows must import in under a minute on this 2-core machine.

Builds a workbook of realistic rows from the loaded code tables (HS codes with their own legal
units, countries, currencies, valid GTINs), then times ``goods_import`` (read, validate every row,
one SKU query, ``bulk_create`` in one transaction, one audit event) in the benchmark's own
database (``zone_portal_bench``, created and migrated like ``bench_api_requests.py`` does; the
code tables are loaded there when empty). Each run uses SKUs of its own, so runs never collide.

    BENCH_SCALE=small python bench/bench_goods_import.py   # 500 rows
    python bench/bench_goods_import.py                     # 10,000 rows

Results go to ``var/bench/goods_import.json`` (``BENCH_OUTPUT`` to change it). Exit status 1
when any row was refused (the figure would then not be a measurement of the full path).
"""

from __future__ import annotations

import io
import json
import os
import random
import secrets
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_api_requests import bench_admin, ensure_database, log, migrate, server_env  # noqa: E402

DEFAULT_OUTPUT = ROOT / "var" / "bench" / "goods_import.json"
LIMIT_S = 60.0
ROWS = {"small": 500, "full": 10_000}


def gtin13(rng: random.Random) -> str:
    body = "69" + "".join(rng.choice("0123456789") for _ in range(10))
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def build_workbook(n: int, run: str) -> bytes:
    from openpyxl import load_workbook

    from filings.goods_excel import KEYS, goods_template
    from zone_portal.codes.models import Country, Currency, HsCode

    rng = random.Random(42)
    hs = list(HsCode.objects.filter(is_active=True).values_list("hs_code", "legal_unit_1_id", "legal_unit_2_id",
                                                                  "positive_list", "name_zh"))
    countries = list(Country.objects.filter(is_active=True).values_list("customs_code", "name_zh"))
    currencies = list(Currency.objects.filter(is_active=True).values_list("customs_code", "name_zh"))
    wb = load_workbook(io.BytesIO(goods_template()))
    ws = wb["goods"]
    for i in range(n):
        code, u1, u2, positive, name = rng.choice(hs)
        direction = "import" if positive else "export"
        modes = rng.choice(["1210,9610", "1210", "9610"]) if positive else rng.choice(["9610", "9710", "9810,9710"])
        country = rng.choice(countries)
        currency = rng.choice(currencies)
        row = {
            "item_no": f"{run}-{i:06d}", "name": f"{name[:40]} 第{i}号", "name_en": f"Item {i}", "hs_code": code,
            "declaration_elements": "品牌|型号|成分|用途", "brand": f"品牌{i % 300}",
            "model_spec": f"{rng.randint(1, 999)}g",
            "ingredients": "详见包装", "usage": "日常使用", "origin_country": f"{country[0]} {country[1]}",
            "legal_unit_1": u1, "legal_unit_2": u2 or "", "declared_unit": u1,
            "unit_price": f"{rng.randint(1, 99999) / 100:.2f}", "currency": f"{currency[0]} {currency[1]}",
            "barcode": gtin13(rng), "manufacturer": f"生产企业{i % 97}", "modes": modes, "direction": direction,
        }
        ws.append([row[k] for k in KEYS])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def main() -> int:
    scale = os.environ.get("BENCH_SCALE", "full")
    n = ROWS[scale]
    output = Path(os.environ.get("BENCH_OUTPUT", DEFAULT_OUTPUT))
    run = datetime.now(UTC).strftime("g%Y%m%d%H%M%S") + secrets.token_hex(2)
    bench_url = ensure_database(os.environ["DATABASE_URL"])
    env = server_env(bench_url, f"zpbench-{run}")
    migrate(env)
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "CACHE_KEY_PREFIX")})
    import django

    django.setup()
    from filings.goods_excel import goods_import
    from filings.models import GoodsItem
    from zone_portal.codes.models import HsCode
    from zone_portal.codes.services import codes_load

    if not HsCode.objects.exists():
        log("loading the code tables into the bench database")
        codes_load()
    admin = bench_admin()
    started = time.perf_counter()
    data = build_workbook(n, run)
    log(f"built a {n}-row workbook ({len(data) / 1e6:.1f} MB) in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    result = goods_import(actor=admin, organization=admin.organization, file_bytes=data, mode="all_or_nothing")
    elapsed = time.perf_counter() - started
    stored = GoodsItem.objects.filter(organization=admin.organization, item_no__startswith=f"{run}-").count()
    report = {
        "benchmark": "goods_import", "scale": scale, "run": run, "rows": n, "created": result.created,
        "stored": stored, "errors": len(result.errors), "first_errors": [e.__dict__ for e in result.errors[:5]],
        "seconds": round(elapsed, 3), "rows_per_s": round(n / elapsed, 1),
        "limit_s_for_10000": LIMIT_S, "ratio_to_limit": round((elapsed * 10_000 / n) / LIMIT_S, 4),
        "cpu_count": os.cpu_count(), "at": datetime.now(UTC).isoformat(),
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(f"goods import: {n} rows in {elapsed:.2f} s = {n / elapsed:,.0f} rows/s; "
          f"{report['ratio_to_limit']:.3f} × the {LIMIT_S:.0f} s limit for 10,000 rows "
          f"(created {result.created}, stored {stored}, errors {len(result.errors)}) → {output}")
    return 1 if result.errors or stored != n else 0


if __name__ == "__main__":
    sys.exit(main())
