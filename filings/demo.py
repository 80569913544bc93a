"""The demo data of information sharing behind ``manage.py load_filings_demo``.

It builds on ``manage.py load_demo`` (departments, the five demo enterprises, one login per role)
and adds parks, 36 more enterprises over every role and park, their filings in mixed states and
more than a thousand goods over more than thirty HS chapters.

Enterprise filings go through the real services (draft, submit, each department's decision by
the demo officers), so reviews, filing numbers, audit events and notifications are exactly what
the portal itself would write. Goods are validated one by one with ``goods_validate`` and written
in bulk like the Excel import, with their review outcome (filed, under review, rejected) set in
the same shape ``goods_decide`` leaves; one audit event per enterprise records the load.

Everything is found by its natural key first — a park by its code, an enterprise by its USCC, a
goods item by its SKU within the enterprise — so a second run creates nothing. All values are
fixed (no randomness): every machine gets the same demo.
"""

from __future__ import annotations

import re
import uuid
import zlib
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import stdnum.ean
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.utils import timezone

from zone_portal.accounts import roles
from zone_portal.accounts.models import Organization, User
from zone_portal.accounts.validators import uscc_check_char
from zone_portal.audit.services import audit_record, diff, snapshot
from zone_portal.codes.models import HsCode
from zone_portal.portal.models import Park

from . import services
from .goods import RECORD_NO_LOCK, RECORD_NO_PREFIX, CodeTables, goods_validate
from .models import DepartmentReview, EnterpriseFiling, EnterpriseRole, GoodsItem, GoodsVersion

R = EnterpriseRole
_LOCK_ID = zlib.crc32(b"filings.demo") & 0x7FFFFFFF
SOURCE = "load_filings_demo"


class DemoPrerequisiteMissing(Exception):
    """``load_codes`` or ``load_demo`` has not been run yet."""


# --- parks --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DemoPark:
    code: str
    kind: str
    name: str
    name_en: str
    address: str
    description: str


PARKS: tuple[DemoPark, ...] = (
    DemoPark("DEMO-IP-01", Park.Kind.INDUSTRIAL_PARK, "综试区跨境电子商务产业园", "Pilot Zone Cross-border E-commerce "
             "Industrial Park", "浙江省杭州市滨江区网商路599号", "跨境电商企业集聚区，提供办公、直播与共享仓储。"),
    DemoPark("DEMO-IP-02", Park.Kind.INDUSTRIAL_PARK, "空港跨境电商物流园", "Airport Cross-border E-commerce "
             "Logistics Park", "浙江省杭州市萧山区空港大道1888号",
             "毗邻空港海关监管作业场所，承接1210保税备货与9610直购进口。"),
    DemoPark("DEMO-INC-01", Park.Kind.INCUBATOR, "跨境电商创业孵化中心", "Cross-border E-commerce Startup Incubator",
             "浙江省杭州市滨江区江南大道3850号", "为初创跨境电商团队提供工位、培训和供应链对接。"),
    DemoPark("DEMO-OW-01", Park.Kind.OVERSEAS_WAREHOUSE, "综试区汉堡海外仓", "Pilot Zone Hamburg Overseas Warehouse",
             "Am Sandtorkai 50, 20457 Hamburg, Deutschland", "服务9810出口海外仓模式的公共海外仓。"),
    DemoPark("DEMO-O2O-01", Park.Kind.O2O_STORE, "跨境进口商品O2O体验店（滨江店）", "Cross-border Import O2O "
             "Experience Store (Binjiang)", "浙江省杭州市滨江区长河路351号",
             "线下体验、线上下单的跨境进口商品展示店。"),
)


# --- enterprises --------------------------------------------------------------------------------

class State:
    """The state a demo enterprise's filing ends in."""

    FILED = "filed"
    UNDER_REVIEW = "under_review"  # submitted; some departments may have approved already
    RETURNED = "returned"
    DRAFT = "draft"


@dataclass(frozen=True)
class DemoEnterprise:
    key: str
    name: str
    name_en: str
    roles: tuple[str, ...]
    park: str  # DemoPark.code
    state: str
    legal_representative: str
    contact_name: str
    foreign_currency: bool = False
    overseas_warehouse: bool = False
    goods: int = 0  # goods to file (filed e-commerce enterprises only)
    uscc: str = ""  # only for the enterprises of load_demo; computed from ``key`` otherwise


def _org_code(body8: str) -> str:
    """A GB 11714 organization code: eight characters and their check character."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum((int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(body8, weights, strict=True))
    check = 11 - total % 11
    return body8 + {10: "X", 11: "0"}.get(check, str(check))


def demo_uscc(index: int) -> str:
    """The fixed USCC of demo enterprise ``index``: a legal person (9) enterprise (1) of area
    330109 with a valid organization code and GB 32100 check character."""
    first17 = "91330109" + _org_code(f"MA9{index:03d}DM")
    return first17 + uscc_check_char(first17)


_E = DemoEnterprise
# The five enterprises of load_demo come first (found by their USCC), then 36 more.
ENTERPRISES: tuple[DemoEnterprise, ...] = (
    _E("ebc", "云帆跨境电子商务有限公司", "Yunfan Cross-border E-commerce Co., Ltd.", (R.EBC,), "DEMO-IP-01",
       State.FILED, "陈志远", "陈晓明", foreign_currency=True, goods=200, uscc="91330109MA01YF08XP"),
    _E("ebp", "海贸通电子商务平台有限公司", "Haimaotong E-commerce Platform Co., Ltd.", (R.EBP,), "DEMO-IP-01",
       State.FILED, "林国栋", "林海", uscc="91330109MA02HM1836"),
    _E("logistics", "迅达国际物流有限公司", "Xunda International Logistics Co., Ltd.", (R.LOGISTICS,), "DEMO-IP-02",
       State.FILED, "许长青", "许达", uscc="91330109MA03XD283H"),
    _E("payment", "汇联支付科技有限公司", "Huilian Payment Technology Co., Ltd.", (R.PAYMENT,), "DEMO-IP-01",
       State.FILED, "何振华", "何琳", foreign_currency=True, uscc="91330109MA04HL385M"),
    _E("warehouse", "港湾保税仓储有限公司", "Gangwan Bonded Warehousing Co., Ltd.", (R.WAREHOUSE,), "DEMO-IP-02",
       State.FILED, "顾建平", "顾文", uscc="91330109MA05GW4876"),
    # Filed e-commerce enterprises with goods.
    _E("d01", "优选海淘进出口贸易有限公司", "Youxuan Haitao Import & Export Trading Co., Ltd.", (R.EBC,), "DEMO-IP-01",
       State.FILED, "张伟", "李娜", foreign_currency=True, goods=90),
    _E("d02", "鲸选跨境电子商务有限公司", "Jingxuan Cross-border E-commerce Co., Ltd.", (R.EBC,), "DEMO-INC-01",
       State.FILED, "王芳", "刘洋", goods=80),
    _E("d03", "橙果国际贸易有限公司", "Chengguo International Trading Co., Ltd.", (R.EBC, R.FTS), "DEMO-IP-01",
       State.FILED, "李强", "陈静", foreign_currency=True, goods=80),
    _E("d04", "丝路优品电子商务有限公司", "Silu Youpin E-commerce Co., Ltd.", (R.EBC,), "DEMO-OW-01",
       State.FILED, "刘敏", "杨帆", foreign_currency=True, overseas_warehouse=True, goods=80),
    _E("d05", "蓝海臻品供应链管理有限公司", "Lanhai Zhenpin Supply Chain Management Co., Ltd.", (R.EBC, R.WAREHOUSE),
       "DEMO-IP-02", State.FILED, "陈刚", "赵磊", goods=75),
    _E("d06", "禾美母婴用品有限公司", "Hemei Maternal & Baby Products Co., Ltd.", (R.EBC,), "DEMO-O2O-01",
       State.FILED, "杨丽", "黄婷", goods=75),
    _E("d07", "悦颜美妆科技有限公司", "Yueyan Beauty Technology Co., Ltd.", (R.EBC,), "DEMO-O2O-01",
       State.FILED, "赵军", "周琳", goods=75),
    _E("d08", "极速跨境电子商务有限公司", "Jisu Cross-border E-commerce Co., Ltd.", (R.EBC, R.LOGISTICS), "DEMO-IP-02",
       State.FILED, "黄勇", "吴杰", foreign_currency=True, goods=70),
    _E("d09", "万象全球购电子商务有限公司", "Wanxiang Global Shopping E-commerce Co., Ltd.", (R.EBC, R.EBP),
       "DEMO-IP-01", State.FILED, "周杰", "徐佳", foreign_currency=True, goods=70),
    _E("d10", "锦程外贸综合服务有限公司", "Jincheng Foreign Trade Services Co., Ltd.", (R.EBC, R.FTS), "DEMO-IP-01",
       State.FILED, "吴静", "孙浩", foreign_currency=True, goods=70),
    _E("d11", "恒信家居用品制造有限公司", "Hengxin Home Products Manufacturing Co., Ltd.", (R.EBC, R.PRODUCER),
       "DEMO-INC-01", State.FILED, "徐涛", "马超", foreign_currency=True, overseas_warehouse=True, goods=70),
    _E("d12", "小鹿跨境电商（杭州）有限公司", "Xiaolu Cross-border E-commerce (Hangzhou) Co., Ltd.", (R.EBC,),
       "DEMO-INC-01", State.FILED, "孙丽", "胡斌", goods=65),
    # Filed enterprises of the other roles.
    _E("d13", "易购通电子商务平台有限公司", "Yigoutong E-commerce Platform Co., Ltd.", (R.EBP,), "DEMO-IP-01",
       State.FILED, "马骏", "郭敏"),
    _E("d14", "全球精选网络科技有限公司", "Quanqiu Jingxuan Network Technology Co., Ltd.", (R.EBP,), "DEMO-INC-01",
       State.FILED, "朱琳", "何欢"),
    _E("d15", "顺远国际货运代理有限公司", "Shunyuan International Freight Forwarding Co., Ltd.", (R.LOGISTICS,),
       "DEMO-IP-02", State.FILED, "胡斌", "高翔", foreign_currency=True),
    _E("d16", "捷安快递服务有限公司", "Jie'an Express Services Co., Ltd.", (R.LOGISTICS,), "DEMO-IP-02",
       State.FILED, "郭峰", "林琳"),
    _E("d17", "汇通宝支付服务有限公司", "Huitongbao Payment Services Co., Ltd.", (R.PAYMENT,), "DEMO-IP-01",
       State.FILED, "林峰", "罗娟", foreign_currency=True),
    _E("d18", "安信跨境支付有限公司", "Anxin Cross-border Payment Co., Ltd.", (R.PAYMENT,), "DEMO-INC-01",
       State.FILED, "何平", "梁晨", foreign_currency=True),
    _E("d19", "海港保税物流中心有限公司", "Haigang Bonded Logistics Center Co., Ltd.", (R.WAREHOUSE,), "DEMO-IP-02",
       State.FILED, "高明", "宋洁"),
    _E("d20", "欧陆海外仓储服务有限公司", "Oulu Overseas Warehousing Services Co., Ltd.", (R.WAREHOUSE,), "DEMO-OW-01",
       State.FILED, "罗平", "谢婷", foreign_currency=True, overseas_warehouse=True),
    _E("d21", "信达报关有限公司", "Xinda Customs Brokerage Co., Ltd.", (R.BROKER,), "DEMO-IP-02",
       State.FILED, "梁勇", "韩雪"),
    _E("d22", "通关宝报关代理有限公司", "Tongguanbao Customs Agency Co., Ltd.", (R.BROKER,), "DEMO-IP-01",
       State.FILED, "宋涛", "唐亮"),
    _E("d23", "联合外贸综合服务有限公司", "Lianhe Foreign Trade Services Co., Ltd.", (R.FTS,), "DEMO-IP-01",
       State.FILED, "谢军", "冯丽", foreign_currency=True),
    _E("d24", "华美纺织服饰有限公司", "Huamei Textile & Apparel Co., Ltd.", (R.PRODUCER,), "DEMO-INC-01",
       State.FILED, "韩梅", "董强", foreign_currency=True),
    _E("d25", "精工小家电制造有限公司", "Jinggong Small Appliance Manufacturing Co., Ltd.", (R.PRODUCER,),
       "DEMO-IP-01", State.FILED, "唐文", "萧然"),
    # Under review (some departments have already approved).
    _E("d26", "新桥跨境电子商务有限公司", "Xinqiao Cross-border E-commerce Co., Ltd.", (R.EBC,), "DEMO-INC-01",
       State.UNDER_REVIEW, "冯雷", "程亮", foreign_currency=True),
    _E("d27", "海购直通车网络科技有限公司", "Haigou Zhitongche Network Technology Co., Ltd.", (R.EBP,), "DEMO-INC-01",
       State.UNDER_REVIEW, "董洁", "曹颖"),
    _E("d28", "远航冷链物流有限公司", "Yuanhang Cold Chain Logistics Co., Ltd.", (R.LOGISTICS,), "DEMO-IP-02",
       State.UNDER_REVIEW, "曹军", "袁媛"),
    _E("d29", "云端贸易服务有限公司", "Yunduan Trade Services Co., Ltd.", (R.FTS,), "DEMO-IP-01",
       State.UNDER_REVIEW, "袁野", "邓超", foreign_currency=True),
    _E("d30", "鑫源食品生产有限公司", "Xinyuan Food Production Co., Ltd.", (R.PRODUCER, R.EBC), "DEMO-O2O-01",
       State.UNDER_REVIEW, "邓华", "许晴"),
    # Returned for correction.
    _E("d31", "万家跨境电子商务有限公司", "Wanjia Cross-border E-commerce Co., Ltd.", (R.EBC,), "DEMO-O2O-01",
       State.RETURNED, "傅强", "沈洁"),
    _E("d32", "速通国际快递有限公司", "Sutong International Express Co., Ltd.", (R.LOGISTICS,), "DEMO-IP-02",
       State.RETURNED, "沈鹏", "曾丽"),
    _E("d33", "聚宝支付网络有限公司", "Jubao Payment Network Co., Ltd.", (R.PAYMENT,), "DEMO-INC-01",
       State.RETURNED, "彭辉", "吕娜", foreign_currency=True),
    _E("d34", "宏达报关服务有限公司", "Hongda Customs Declaration Services Co., Ltd.", (R.BROKER,), "DEMO-IP-01",
       State.RETURNED, "吕刚", "苏敏"),
    # Drafts.
    _E("d35", "星辰跨境电子商务有限公司", "Xingchen Cross-border E-commerce Co., Ltd.", (R.EBC,), "DEMO-INC-01",
       State.DRAFT, "苏明", "卢静"),
    _E("d36", "北欧优选海外仓有限公司", "Beiou Youxuan Overseas Warehouse Co., Ltd.", (R.WAREHOUSE,), "DEMO-OW-01",
       State.DRAFT, "卢涛", "蒋玲", overseas_warehouse=True),
)

BUSINESS_SCOPE = {
    R.EBC: "跨境电子商务零售进出口；货物进出口；日用百货、食品、化妆品、母婴用品的网上销售",
    R.EBP: "跨境电子商务平台运营；互联网信息服务；第二类增值电信业务",
    R.LOGISTICS: "国际货物运输代理；快递服务；跨境电商物流配送",
    R.PAYMENT: "互联网支付；跨境外汇支付；跨境人民币支付",
    R.WAREHOUSE: "保税仓储；普通货物仓储服务；海外仓运营管理",
    R.FTS: "外贸综合服务；代理进出口；出口退税申报代理；供应链管理服务",
    R.BROKER: "报关报检代理；进出口商品检验鉴定代理",
    R.PRODUCER: "日用品、家用电器、纺织服装的生产与销售；货物进出口",
}

# Why a department returns an application, and the fields it names.
RETURNS = (
    ("customs", "注册地址与营业执照不一致，请核对后重新提交。", ["registered_address"]),
    ("customs", "快递业务经营许可证编号有误，请上传最新许可证并更正编号。", ["express_permit_no"]),
    ("forex", "外汇收款账户信息不完整，请补充开户银行及账号。", ["bank_account", "bank_name"]),
    ("customs", "经营范围未包含报关业务，请更正经营范围。", ["business_scope"]),
)


def _enterprise_uscc(spec: DemoEnterprise) -> str:
    return spec.uscc or demo_uscc(_index(spec))


def _index(spec: DemoEnterprise) -> int:
    """A small number unique to each demo enterprise (the load_demo ones get 91–95)."""
    if spec.key.startswith("d"):
        return int(spec.key[1:])
    return 91 + [e.key for e in ENTERPRISES].index(spec.key)


# --- goods --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Origin:
    country: str
    currency: str
    gs1_prefix: str  # a GS1 prefix of the country, for the barcodes
    brands: tuple[tuple[str, str], ...]  # (Chinese, English)


ORIGINS: tuple[Origin, ...] = (
    Origin("116", "116", "45", (("花王堂", "Kaodo"), ("雪之森", "Yukimori"), ("樱井", "Sakurai"))),
    Origin("133", "133", "880", (("美丽颜", "Mireyan"), ("青瓷", "Cheongja"))),
    Origin("304", "300", "40", (("柏林匠", "Berliner Werk"), ("莱茵", "Rheinhaus"))),
    Origin("305", "300", "30", (("普罗旺斯之光", "Lumière de Provence"), ("巴黎香颂", "Chanson Paris"))),
    Origin("307", "300", "80", (("托斯卡纳", "Toscana Viva"),)),
    Origin("303", "303", "50", (("伦敦桥", "London Bridge Goods"),)),
    Origin("502", "502", "06", (("自由湾", "Liberty Bay"), ("加州阳光", "California Sun"))),
    Origin("601", "601", "93", (("袋鼠谷", "Kangaroo Valley"), ("南十字", "Southern Cross"))),
    Origin("609", "609", "94", (("纯净牧场", "Pure Pasture"),)),
)
# Export goods are made in China by the enterprise itself.
CHINA = Origin("142", "142", "69", (("云帆", "Yunfan"), ("江南造", "Jiangnan Made"), ("西湖工坊", "Xihu Workshop")))
EXPORT_CURRENCIES = ("502", "300", "303")
BANK_NAME = "示范商业银行综试区分行"
SPECS = ("标准装", "家庭装", "旅行装", "礼盒装", "升级款", "经典款")
SPECS_EN = ("standard", "family pack", "travel size", "gift box", "upgraded", "classic")
REJECTIONS = (
    "商品名称与申报的商品编码归类不符，请核实归类后重新申报。",
    "申报要素不完整，缺少成分含量，请补充后重新申报。",
    "原产国与品牌信息不一致，请提供原产地证明。",
)
# Goods that make no sense to sell online are left out (live animals, weapons, works of art).
SKIPPED_CHAPTERS = frozenset({"01", "93", "97"})


def _product_name(name_zh: str) -> str:
    """A retail-looking name from the tariff wording: no parenthetical notes, no leading 其他."""
    name = re.sub(r"[（(][^）)]*[）)]", "", name_zh).strip()
    name = re.sub(r"^其他", "", name) or name_zh
    return name


def _gtin(prefix: str, number: int) -> str:
    body = f"{prefix}{number:0{12 - len(prefix)}d}"
    return body + stdnum.ean.calc_check_digit(body)


@dataclass
class DemoFilingsResult:
    """What one run of the demo loader created and found already there."""

    parks_created: int = 0
    parks_existing: int = 0
    enterprises_created: int = 0
    enterprises_existing: int = 0
    users_created: int = 0
    filings_created: dict[str, int] = field(default_factory=dict)
    filings_existing: int = 0
    goods_created: int = 0
    goods_existing: int = 0


# --- loading ------------------------------------------------------------------------------------

@transaction.atomic
def filings_demo_load() -> DemoFilingsResult:
    """Create the demo parks, enterprises, filings and goods that are not there yet.

    Needs ``load_codes`` (HS codes) and ``load_demo`` (the demo officers) first.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_ID])
    officers = {u.username: u for u in User.objects.filter(
        username__in=["demo_customs", "demo_tax", "demo_forex", "demo_commerce", "demo_market", "demo_ent_admin"])}
    if len(officers) < 6:
        raise DemoPrerequisiteMissing("Run `manage.py load_demo` first: the demo officers are missing.")
    if not HsCode.objects.filter(is_active=True).exists():
        raise DemoPrerequisiteMissing("Run `manage.py load_codes` first: the HS code table is empty.")
    result = DemoFilingsResult()
    parks = {spec.code: _park_get_or_create(spec, result) for spec in PARKS}
    skipped = rf"^({'|'.join(sorted(SKIPPED_CHAPTERS))})"
    hs_rows = list(HsCode.objects.filter(is_active=True).exclude(hs_code__regex=skipped)
                   .select_related("hs6").order_by("hs_code"))
    tables = CodeTables.load(hs_codes={h.hs_code for h in hs_rows})
    goods_offset = 0
    for index, spec in enumerate(ENTERPRISES):
        org = _enterprise_get_or_create(spec, _enterprise_uscc(spec), result)
        actor = (officers["demo_ent_admin"] if spec.key == "ebc"
                 else _admin_get_or_create(spec, org, result))
        _filing_load(spec, index, org, actor, parks[spec.park], officers, result)
        if spec.goods:
            _goods_load(spec, org, hs_rows, goods_offset, tables, officers["demo_customs"], actor, result)
            goods_offset += spec.goods
    return result


def _park_get_or_create(spec: DemoPark, result: DemoFilingsResult) -> Park:
    park = Park.objects.filter(code=spec.code).first()
    if park is not None:
        result.parks_existing += 1
        return park
    park = Park.objects.create(code=spec.code, kind=spec.kind, name=spec.name, name_en=spec.name_en,
                               address=spec.address, division_code="330108" if "滨江" in spec.address else "",
                               description=spec.description)
    audit_record(actor=None, action="portal.park.create", target=park, changes=diff({}, snapshot(park)),
                 extra={"source": SOURCE})
    result.parks_created += 1
    return park


def _mobile(spec: DemoEnterprise, offset: int) -> str:
    return f"139{offset:02d}{_index(spec):02d}{zlib.crc32(spec.key.encode()) % 10000:04d}"


def _email_domain(spec: DemoEnterprise) -> str:
    slug = re.sub(r"[^a-z]", "", spec.name_en.split(" ")[0].lower())
    return f"{slug}.example.com"


def _enterprise_get_or_create(spec: DemoEnterprise, uscc: str, result: DemoFilingsResult) -> Organization:
    org = Organization.objects.filter(uscc=uscc).first()
    if org is not None:
        result.enterprises_existing += 1
        return org
    org = Organization.objects.create(
        kind=Organization.Kind.ENTERPRISE, name=spec.name, name_en=spec.name_en, uscc=uscc,
        contact_name=spec.contact_name, contact_mobile=_mobile(spec, 10),
        contact_email=f"contact@{_email_domain(spec)}",
    )
    audit_record(actor=None, action="accounts.organization.create", target=org, organization_id=org.pk,
                 changes=diff({}, snapshot(org)), extra={"source": SOURCE})
    result.enterprises_created += 1
    return org


def _admin_get_or_create(spec: DemoEnterprise, org: Organization, result: DemoFilingsResult) -> User:
    """The enterprise's administrator, who files for it; no password (not a demo login)."""
    username = f"demo_admin_{spec.key}"
    user = User.objects.filter(username__iexact=username).first()
    if user is not None:
        return user
    user = User(username=username, email=f"admin@{_email_domain(spec)}", organization=org,
                full_name=spec.contact_name, mobile=_mobile(spec, 20), is_staff=False, is_superuser=False)
    user.set_unusable_password()
    user.save()
    user.groups.add(Group.objects.get(name=roles.ENTERPRISE_ADMIN))
    audit_record(actor=None, action="accounts.user.create", target=user, organization_id=org.pk,
                 changes=diff({}, snapshot(user, ["username", "email", "full_name", "mobile", "is_staff"])),
                 extra={"role": roles.ENTERPRISE_ADMIN, "source": SOURCE})
    result.users_created += 1
    return user


def _filing_data(spec: DemoEnterprise, index: int, org: Organization, park: Park) -> dict:
    i = _index(spec)
    data = {
        "roles": list(spec.roles), "uscc": org.uscc, "customs_code": f"330196{i:04d}", "name": spec.name,
        "name_en": spec.name_en, "legal_representative": spec.legal_representative,
        "registered_address": f"浙江省杭州市滨江区长河街道江虹路{100 + i * 7}号{i % 9 + 1}幢",
        "operating_address": park.address if park.kind != Park.Kind.OVERSEAS_WAREHOUSE else "",
        "contact_name": spec.contact_name, "contact_mobile": _mobile(spec, 10),
        "contact_email": f"contact@{_email_domain(spec)}",
        "business_scope": "；".join(BUSINESS_SCOPE[r] for r in spec.roles), "park": park,
        "handles_foreign_currency": spec.foreign_currency, "operates_overseas_warehouse": spec.overseas_warehouse,
    }
    if spec.foreign_currency:
        data.update(bank_name=BANK_NAME,
                    bank_account=f"6222 0233 {1000 + i:04d} {zlib.crc32(spec.key.encode()) % 10000:04d}")
    if R.PAYMENT in spec.roles:
        data["payment_licence_no"] = f"Z20{i:02d}3301000{i % 10}"
    if R.LOGISTICS in spec.roles:
        data["express_permit_no"] = f"浙邮{2020 + i % 5}{i:03d}号"
    if R.EBP in spec.roles:
        data["platform_domain"] = f"www.{_email_domain(spec).replace('.example.com', '')}.example.com"
        data["platform_app_name"] = spec.name[:4] + "APP"
    return data


def _filing_load(spec: DemoEnterprise, index: int, org: Organization, actor: User, park: Park,
                 officers: dict[str, User], result: DemoFilingsResult) -> None:
    """Drive the enterprise's filing through the real services to the state of ``spec``."""
    if EnterpriseFiling.objects.filter(organization=org).exists():
        result.filings_existing += 1
        return
    data = _filing_data(spec, index, org, park)
    if spec.state == State.RETURNED:
        # The application a department returns: the field it names is what is wrong.
        department, reason, fields_to_fix = RETURNS[_index(spec) % len(RETURNS)]
    version = services.enterprise_filing_save_draft(actor=actor, organization=org, data=data)
    result.filings_created[spec.state] = result.filings_created.get(spec.state, 0) + 1
    if spec.state == State.DRAFT:
        return
    version = services.enterprise_filing_submit(actor=actor, version=version)
    reviews = list(version.reviews.order_by("department"))
    by_department = {r.department: r for r in reviews}
    if spec.state == State.RETURNED:
        if department not in by_department:
            department = "customs"
        services.enterprise_filing_decide(actor=officers[f"demo_{department}"], review=by_department[department],
                                          decision=DepartmentReview.Decision.RETURNED, reason=reason,
                                          fields_to_fix=fields_to_fix)
        return
    # Under review: every department but the last has approved (one at least is still pending).
    deciding = reviews if spec.state == State.FILED else reviews[:-1]
    for review in deciding:
        services.enterprise_filing_decide(actor=officers[f"demo_{review.department}"], review=review,
                                          decision=DepartmentReview.Decision.APPROVED)


def _goods_load(spec: DemoEnterprise, org: Organization, hs_rows: list[HsCode], offset: int, tables: CodeTables,
                customs_officer: User, actor: User, result: DemoFilingsResult) -> None:
    """File ``spec.goods`` goods of the enterprise: about 90 % filed, 7 % under review, 3 % rejected."""
    filing = EnterpriseFiling.objects.select_related("effective_version").filter(organization=org).first()
    if not (filing and filing.status == EnterpriseFiling.Status.FILED and filing.effective_version
            and R.EBC in filing.effective_version.roles):
        return  # the enterprise was changed by hand since; it may not file goods
    prefix = f"{spec.key.upper()}-"
    existing = set(GoodsItem.objects.filter(organization=org, item_no__startswith=prefix)
                   .values_list("item_no", flat=True))
    rows: list[tuple[str, dict]] = []
    for n in range(spec.goods):
        global_n = offset + n
        hs = hs_rows[global_n % len(hs_rows)]
        sku = f"{prefix}{hs.hs_code[:4]}-{n + 1:04d}"
        if sku in existing:
            result.goods_existing += 1
            continue
        rows.append((_goods_state(n), _goods_data(sku, hs, global_n)))
    if not rows:
        return
    now = timezone.now()
    staged: list[tuple[str, dict]] = []
    for state, data in rows:
        cleaned, errors = goods_validate(data, organization=org, tables=tables, existing_skus=existing)
        if errors:  # the demo data is meant to be valid: fail loudly rather than load bad goods
            raise ValueError(f"demo goods {data['item_no']} invalid: {errors}")
        staged.append((state, cleaned))
    filed = [c for s, c in staged if s == "filed"]
    record_nos = iter(_record_numbers(org, len(filed)))
    # Filed items get their number and version in force once the versions exist (a filed item
    # must have both, checked by the database).
    items = GoodsItem.objects.bulk_create([
        GoodsItem(organization=org, item_no=c["item_no"],
                  status={"filed": GoodsItem.Status.UNDER_REVIEW, "review": GoodsItem.Status.UNDER_REVIEW,
                          "rejected": GoodsItem.Status.REJECTED}[s])
        for s, c in staged], batch_size=2000)
    versions = GoodsVersion.objects.bulk_create([
        GoodsVersion(item=item, number=1, created_by=actor,
                     status={"filed": GoodsVersion.Status.APPROVED, "review": GoodsVersion.Status.UNDER_REVIEW,
                             "rejected": GoodsVersion.Status.REJECTED}[s],
                     submitted_at=now - timedelta(days=3),
                     decided_at=None if s == "review" else now,
                     decided_by=None if s == "review" else customs_officer,
                     reason=REJECTIONS[k % len(REJECTIONS)] if s == "rejected" else "",
                     **{k2: v for k2, v in c.items() if k2 != "item_no"})
        for k, (item, (s, c)) in enumerate(zip(items, staged, strict=True))], batch_size=2000)
    filed_items = []
    for item, version, (s, _c) in zip(items, versions, staged, strict=True):
        if s == "filed":
            item.status, item.effective_version = GoodsItem.Status.FILED, version
            item.record_no, item.trace_id, item.filed_at = next(record_nos), uuid.uuid4(), now
            filed_items.append(item)
    GoodsItem.objects.bulk_update(filed_items, ["status", "effective_version", "record_no", "trace_id", "filed_at"],
                                  batch_size=2000)
    counts = {s: sum(1 for s2, _c in staged if s2 == s) for s in ("filed", "review", "rejected")}
    audit_record(actor=None, action="filings.goodsitem.import", target=None, organization_id=org.pk,
                 changes={"created": [0, len(items)]},
                 extra={"source": SOURCE, "created": len(items), "filed": counts["filed"],
                        "under_review": counts["review"], "rejected": counts["rejected"],
                        "decided_by": customs_officer.username})
    result.goods_created += len(items)


def _goods_state(n: int) -> str:
    if n % 30 == 7:
        return "rejected"
    if n % 15 == 4:
        return "review"
    return "filed"


def _goods_data(sku: str, hs: HsCode, n: int) -> dict:
    """One goods item for HS code ``hs``: import goods only where the positive list allows it."""
    imported = hs.positive_list and n % 4 != 3
    origin = ORIGINS[n % len(ORIGINS)] if imported else CHINA
    brand_zh, brand_en = origin.brands[n % len(origin.brands)]
    spec_i = n % len(SPECS)
    product = _product_name(hs.name_zh)
    description_en = hs.hs6.description_en.split(";")[0].split(",")[0].strip()[:120]
    legal_1, legal_2 = hs.legal_unit_1_id, hs.legal_unit_2_id
    declared = "011" if legal_1 in ("035", "036", "095") else legal_1
    price = Decimal(19 + (int(hs.hs_code[:4]) * 13 + n * 37) % 980) + Decimal(n % 100) / 100
    if imported:
        modes = ["1210", "9610"] if n % 2 else ["1210"]
        currency = origin.currency
    else:
        modes = [("9610",), ("9710",), ("9810",), ("9610", "9810")][n % 4]
        currency = EXPORT_CURRENCIES[n % len(EXPORT_CURRENCIES)]
    return {
        "item_no": sku,
        "name": f"{brand_zh}{product}（{SPECS[spec_i]}）"[:250],
        "name_en": f"{brand_en} {description_en} ({SPECS_EN[spec_i]})"[:250],
        "hs_code": hs.hs_code,
        "declaration_elements": f"{product}|品牌：{brand_zh}|规格：{SPECS[spec_i]}",
        "brand": brand_zh,
        "model_spec": f"{SPECS[spec_i]} {brand_en[:3].upper()}-{n % 900 + 100}",
        "ingredients": "",
        "usage": "个人自用" if imported else "零售",
        "origin_country": origin.country,
        "legal_unit_1": legal_1,
        "legal_unit_2": legal_2 or "",
        "declared_unit": declared,
        "unit_price": price,
        "currency": currency,
        "barcode": _gtin(origin.gs1_prefix, 10_000 + n),
        "manufacturer": f"{brand_en} Manufacturing" if imported else f"{brand_zh}制造有限公司",
        "modes": list(modes),
        "direction": "import" if imported else "export",
    }


def _record_numbers(org: Organization, count: int) -> list[str]:
    """``count`` consecutive goods record numbers, in the format and under the lock of ``goods_decide``."""
    if not count:
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [RECORD_NO_LOCK])
        cursor.execute("SELECT max(right(record_no, 8)::bigint) FROM filings_goodsitem "
                       "WHERE record_no ~ '^GR.{6}[0-9]{8}$'")
        (current,) = cursor.fetchone()
    suffix = (org.uscc or org.customs_code or "000000")[-6:].rjust(6, "0")
    return [f"{RECORD_NO_PREFIX}{suffix}{(current or 0) + k:08d}" for k in range(1, count + 1)]
