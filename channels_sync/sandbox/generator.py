"""Realistic orders for the sandbox: Chinese receivers and addresses, the demo catalogue, remarks."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from decimal import Decimal

from channels_sync.sandbox.core import FakeLine, FakeOrder, SandboxShop, SandboxState
from orderhub.demo.catalogue import CATALOGUE, SELLABLE_CODES

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN = [
    "伟",
    "芳",
    "娜",
    "秀英",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀兰",
    "霞",
    "平",
    "刚",
    "桂英",
    "子涵",
    "欣怡",
    "梓萱",
    "浩然",
    "宇轩",
    "思彤",
    "一诺",
]
# province, city, district, street and door
ADDRESSES = [
    ("浙江省", "杭州市", "西湖区", "文三路 90 号东部软件园 1 号楼 502"),
    ("浙江省", "宁波市", "鄞州区", "天童南路 588 号 12 幢 1803 室"),
    ("江苏省", "苏州市", "工业园区", "星湖街 328 号创意产业园 7 栋"),
    ("江苏省", "南京市", "鼓楼区", "中山北路 105 号 3 单元 601"),
    ("上海市", "上海市", "浦东新区", "张江路 665 弄 5 号 1202 室"),
    ("上海市", "上海市", "徐汇区", "漕溪北路 88 号圣爱大厦 16 楼"),
    ("安徽省", "合肥市", "蜀山区", "黄山路 459 号安徽大学东区"),
    ("北京市", "北京市", "朝阳区", "望京街 10 号望京 SOHO T3 2108"),
    ("北京市", "北京市", "海淀区", "中关村大街 27 号 1101"),
    ("广东省", "深圳市", "南山区", "科技南十二路 2 号金蝶软件园 B 座"),
    ("广东省", "广州市", "天河区", "体育西路 191 号中石化大厦 28 楼"),
    ("四川省", "成都市", "武侯区", "天府大道北段 1700 号环球中心 W6"),
    ("湖北省", "武汉市", "洪山区", "珞喻路 1037 号华中科技大学"),
    ("山东省", "青岛市", "市南区", "香港中路 76 号颐中皇冠假日 9 层"),
    ("新疆维吾尔自治区", "乌鲁木齐市", "天山区", "解放北路 175 号 2 单元 301"),
    ("西藏自治区", "拉萨市", "城关区", "北京中路 48 号"),
    ("内蒙古自治区", "呼和浩特市", "新城区", "新华大街 63 号 5 号楼"),
]
BUYER_REMARKS = [
    "",
    "",
    "",
    "请尽快发货,谢谢",
    "不要放快递柜",
    "送人的,不要放发票",
    "猫咪挑食,麻烦多送试吃装",
]
SELLER_REMARKS = ["", "", "", "老客户,优先发货", "已备注赠品"]
PRICES = {item["code"]: item["price"] for item in CATALOGUE}
NAMES = {item["code"]: item["name"] for item in CATALOGUE}


def platform_sku_id(platform: str, sku_code: str) -> str:
    """A stable numeric SKU id per platform and catalogue code, as a platform would assign one."""
    digest = hashlib.sha256(f"{platform}:{sku_code}".encode()).hexdigest()
    return str(int(digest[:12], 16))


def _order_id(state: SandboxState, platform: str) -> str:
    with state.lock:
        # Long ids on purpose: Douyin and Shopify ids exceed 2^53.
        digits = 19 if platform in {"douyin", "shopify"} else 16
        return str(state.rng.randrange(10 ** (digits - 1), 10**digits))


def generate_order(
    state: SandboxState, shop: SandboxShop, *, status: str = "paid", now: datetime, currency: str = "CNY"
) -> FakeOrder:
    rng = state.rng
    with state.lock:
        codes = rng.sample(SELLABLE_CODES, k=rng.choice([1, 1, 1, 2, 2, 3]))
        lines = []
        for index, code in enumerate(codes, start=1):
            quantity = rng.choice([1, 1, 1, 2, 3])
            price = PRICES[code]
            lines.append(
                FakeLine(
                    line_id=f"{index}",
                    sku_code=code,
                    platform_sku_id=platform_sku_id(shop.platform, code),
                    title=NAMES[code],
                    quantity=quantity,
                    unit_price=price,
                    paid_amount=price * quantity,
                )
            )
        province, city, district, detail = rng.choice(ADDRESSES)
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        phone = "1" + rng.choice("3578") + "".join(rng.choice("0123456789") for _ in range(9))
        created = now - timedelta(seconds=rng.randint(5, 120))
        buyer = f"buyer_{rng.randrange(10**6, 10**7)}"
        buyer_remark, seller_remark = rng.choice(BUYER_REMARKS), rng.choice(SELLER_REMARKS)
        shipping = rng.choice([Decimal("0.00"), Decimal("0.00"), Decimal("8.00")])
    order = FakeOrder(
        platform=shop.platform,
        shop_id=shop.shop_id,
        order_id=_order_id(state, shop.platform),
        status=status,
        created_at=created,
        updated_at=now,
        paid_at=now if status != "pending_payment" else None,
        buyer_id=buyer,
        receiver_name=name,
        receiver_phone=phone,
        province=province,
        city=city,
        district=district,
        detail=detail,
        lines=lines,
        shipping_fee=shipping,
        discount=Decimal("0.00"),
        buyer_remark=buyer_remark,
        seller_remark=seller_remark,
        currency=currency,
    )
    # Distribute a shop coupon over the order for some orders, as platforms do.
    if order.goods_amount > 100 and rng.random() < 0.3:
        order.discount = Decimal("10.00")
    remaining = order.discount
    for line in order.lines[:-1]:
        share = (order.discount * line.paid_amount / order.goods_amount).quantize(Decimal("0.01"))
        line.paid_amount -= share
        remaining -= share
    order.lines[-1].paid_amount -= remaining
    return state.put_order(order)


def advance_order(state: SandboxState, order: FakeOrder, status: str, *, now: datetime) -> FakeOrder:
    with state.lock:
        order.status = status
        order.updated_at = max(now, order.updated_at + timedelta(seconds=1))
        order.version += 1
        if status == "paid" and order.paid_at is None:
            order.paid_at = order.updated_at
        if status == "shipped" and not order.tracking_number:
            order.tracking_number = f"YT{state.rng.randrange(10**12, 10**13)}"
    return order
