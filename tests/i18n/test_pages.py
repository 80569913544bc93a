"""Pages and API answers are Chinese by default and English when the caller asks for English.

English is chosen the three ways a user or a partner system does it: the Accept-Language header,
the language cookie the switch in the page header sets, and the switch itself (a POST to
/i18n/setlang/).
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from tests.portal.markup import parse

pytestmark = pytest.mark.django_db

HOME = reverse("portal:home")
LOGIN = reverse("accounts:login")
REGISTER = reverse("accounts:register")

HOME_ZH = ["跨境电子商务综合试验区线上综合服务平台", "企业注册", "六大体系", "信息共享", "风险防控", "两个平台"]
HOME_EN = ["Pilot-zone public service platform", "Register an enterprise", "Six systems",
           "Information sharing", "Risk control", "Two platforms"]
LOGIN_ZH = ["登录", "忘记密码？", "为防止密码被猜测，多次登录失败后账号将被暂时锁定。"]
LOGIN_EN = ["Log in", "Forgot your password?", "to protect it from password guessing"]


def _text(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def _english(client, how: str, path: str):
    if how == "accept-language":
        return client.get(path, HTTP_ACCEPT_LANGUAGE="en")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client.get(path)


@pytest.mark.parametrize(("path", "chinese", "english"), [(HOME, HOME_ZH, HOME_EN), (LOGIN, LOGIN_ZH, LOGIN_EN)])
def test_pages_are_chinese_by_default(client, path, chinese, english):
    response = client.get(path)
    text = _text(response)
    assert parse(response.content).lang == "zh-hans"
    for phrase in chinese:
        assert phrase in text
    for phrase in english:
        assert phrase not in text


@pytest.mark.parametrize("how", ["accept-language", "cookie"])
@pytest.mark.parametrize(("path", "chinese", "english"), [(HOME, HOME_ZH, HOME_EN), (LOGIN, LOGIN_ZH, LOGIN_EN)])
def test_pages_are_english_on_request(client, how, path, chinese, english):
    response = _english(client, how, path)
    text = _text(response)
    assert parse(response.content).lang == "en"
    for phrase in english:
        assert phrase in text
    for phrase in chinese:
        assert phrase not in text


def test_the_language_switch_turns_the_home_page_english_and_back(client):
    assert "六大体系" in _text(client.get(HOME))
    client.post(reverse("set_language"), {"language": "en", "next": HOME})
    assert "Six systems" in _text(client.get(HOME))
    client.post(reverse("set_language"), {"language": "zh-hans", "next": HOME})
    assert "六大体系" in _text(client.get(HOME))


def _registration(uscc: str) -> dict:
    return {
        "organization_name": "丙跨境电商有限公司", "uscc": uscc, "contact_name": "张三",
        "mobile": "13800138000", "email": "c@example.com", "username": "admin_c",
        "password1": "Zone!2026-secret", "password2": "Zone!2026-secret",
    }


def test_form_errors_from_python_code_follow_the_language(client):
    """Validation messages are gettext calls in Python (validators.py), not template text."""
    bad = _registration("91330109MA01YF08XA")  # the check character should be P
    zh = _text(client.post(REGISTER, bad))
    assert "统一社会信用代码的校验码不正确，请对照营业执照核对。" in zh
    en = _text(client.post(REGISTER, bad, HTTP_ACCEPT_LANGUAGE="en"))
    assert "The check character of this unified social credit code is wrong" in en
    assert "校验码" not in en


def test_lazy_labels_and_help_texts_are_chinese(client):
    """Form labels and the password rules are lazy strings, resolved when the page renders."""
    text = _text(client.get(REGISTER))
    for phrase in ("企业名称（中文）", "统一社会信用代码", "18 位，与营业执照上所载一致。",
                   "请至少使用以下字符中的三类：小写字母、大写字母、数字、符号。", "确认密码"):
        assert phrase in text


def test_short_msgids_use_the_portals_wording_not_another_apps(client, user_a):
    """Third-party catalogs translate short msgids their own way (django-celery-beat's "Name" is
    任务名); the portal's catalog in LOCALE_PATHS comes first, so an API client has a 名称."""
    client.force_login(user_a)
    text = _text(client.get(reverse("accounts:api_client_create")))
    assert "名称" in text and "权限范围" in text
    assert "任务名" not in text


def test_partner_api_errors_follow_accept_language(client):
    """A partner system reads the error message in the language it asks for; the code is stable."""
    url = "/api/v1/codes/currencies/"
    zh = client.get(url, HTTP_X_API_KEY="zpk_unknown")
    en = client.get(url, HTTP_X_API_KEY="zpk_unknown", HTTP_ACCEPT_LANGUAGE="en")
    assert zh.status_code == en.status_code == 401
    assert zh.json()["code"] == en.json()["code"] == "auth_missing_headers"
    assert zh.json()["message"].startswith("请求签名不完整：缺少请求头 X-Timestamp")
    assert en.json()["message"].startswith("The request is not fully signed: header(s) X-Timestamp")
