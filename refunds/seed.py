"""The refund status mapping OrderHub starts with, transcribed from ../shared/fixtures/PLATFORMS.md
("Refund statuses" table) plus the seed table of issue 6. Migrations load it; staff edit it in the admin.

Each row: platform, raw status, refund type ("" = any type), standard status, meaning.
"""

R, A, J, F, C = "requested", "approved", "rejected", "refunded", "closed"

_TAOBAO = [
    ("WAIT_SELLER_AGREE", "", R, "buyer asked, waiting for the seller"),
    ("EXCHANGE_TRANSFORM_TO_REFUND", "", R, "exchange turned into a refund"),
    ("WAIT_BUYER_RETURN_GOODS", "", A, "seller agreed, waiting for the buyer's parcel"),
    ("WAIT_SELLER_CONFIRM_GOODS", "", A, "buyer returned the goods"),
    ("WAIT_SELLER_CONSIGN_GOODS", "", A, "exchange: seller to send the new goods"),
    ("WAIT_BUYER_CONFIRM_EXCHANGE_SELLER_SEND_GOODS", "", A, "exchange: new goods sent"),
    ("SELLER_REFUSE_BUYER", "", J, "seller refused"),
    ("SUCCESS", "", F, "refund succeeded"),
    ("CLOSED", "", C, "refund closed"),
    ("退款关闭", "", C, "seed table: 天猫 退款关闭 → 已关闭"),
]
_JD = [
    ("0", "", R, "not reviewed"),
    ("1", "", A, "approved"),
    ("5", "", A, "manually approved"),
    ("7", "", A, "interception succeeded"),
    ("2", "", J, "rejected"),
    ("4", "", J, "finance rejected"),
    ("8", "", J, "interception failed"),
    ("3", "", F, "JD finance approved: money released"),
    ("6", "", F, "intercepted and refunded"),
    ("9", "", F, "force-closed and refunded"),
    ("退款完成", "", F, "seed table: 京东 退款完成 → 已退款"),
]
_PDD = [
    *[
        (code, "", R, meaning)
        for code, meaning in (
            ("2", "buyer requested refund"),
            ("3", "return+refund pending seller"),
            ("8", "platform handling"),
            ("14", "exchange pending"),
            ("21", "repair pending"),
        )
    ],
    *[
        (code, "", A, meaning)
        for code, meaning in (
            ("4", "seller agreed, refunding"),
            ("5", "platform agreed, refunding"),
            ("7", "return agreed, awaiting buyer shipment"),
            ("15", "exchange agreed"),
            ("18", "resend agreed"),
            ("22", "repair agreed"),
            ("27", "awaiting user receipt"),
            ("31", "refuse-delivery refund"),
            ("32", "resend pending seller"),
            ("33", "recall"),
        )
    ],
    ("6", "", J, "rejected, pending buyer"),
    ("9", "", J, "platform rejected, closed"),
    ("10", "", F, "refund success"),
    *[
        (code, "", C, meaning)
        for code, meaning in (
            ("11", "buyer cancelled"),
            ("12", "buyer overdue"),
            ("13", "expired"),
            ("16", "exchange/resend end"),
            ("17", "exchange/resend end"),
            ("24", "repair end"),
            ("25", "repair end"),
        )
    ],
    ("平台介入成功", "", F, "seed table: 拼多多 平台介入成功 → 已退款"),
]
_DOUYIN = [
    ("6", "", R, "awaiting seller approval"),
    ("7", "", A, "awaiting buyer return"),
    ("8", "", A, "awaiting seller shipment"),
    ("11", "", A, "awaiting seller's second approval"),
    ("13", "", A, "exchange/resend awaiting receipt"),
    ("27", "", J, "seller's first rejection"),
    ("29", "", J, "seller's second rejection"),
    ("12", "", F, "succeeded (refund_status 3)"),
    ("12", "exchange", C, "exchange succeeded: not a refund"),
    ("12", "resend", C, "resend succeeded: not a refund"),
    ("28", "", C, "failed / closed"),
    ("14", "", C, "exchange succeeded"),
    ("退款成功", "", F, "seed table: 抖音小店 退款成功 → 已退款"),
]
_YOUZAN = [
    ("WAIT_SELLER_AGREE", "", R, "buyer asked"),
    ("WAIT_BUYER_RETURN_GOODS", "", A, "seller agreed, waiting for the return"),
    ("WAIT_SELLER_CONFIRM_GOODS", "", A, "buyer returned the goods"),
    ("SELLER_REFUSE_BUYER", "", J, "seller refused"),
    ("SELLER_REFUSE_BUYER_RETURN_GOODS", "", J, "seller refused the returned goods"),
    ("SUCCESS", "", F, "refund succeeded"),
    ("CLOSED", "", C, "closed"),
]
_SHOPEE = [
    ("REQUESTED", "", R, "buyer requested"),
    ("JUDGING", "", R, "Shopee judging a dispute"),
    ("SELLER_DISPUTE", "", R, "seller disputed"),
    ("PROCESSING", "", A, "return in progress"),
    ("ACCEPTED", "", F, "refund issued"),
    ("CANCELLED", "", C, "buyer cancelled"),
    ("CLOSED", "", C, "closed (a lost dispute closes too)"),
]
_LAZADA = [
    ("REQUEST_INITIATE", "", R, "request initiated"),
    ("REFUND_PENDING", "", A, "refund pending"),
    ("REQUEST_REJECT", "", J, "request rejected"),
    ("REFUND_REJECTED", "", J, "refund rejected"),
    ("CANCEL_SUCCESS", "", F, "cancelled and refunded"),
    ("REFUND_SUCCESS", "", F, "refund succeeded"),
    ("REQUEST_CANCEL", "", C, "buyer cancelled the request"),
]
_SHOPIFY = [
    ("return_REQUESTED", "", R, "return requested"),
    ("return_OPEN", "", A, "return open"),
    ("transaction_pending", "", A, "refund transaction pending"),
    ("return_DECLINED", "", J, "return declined"),
    ("transaction_failure", "", J, "refund transaction failed"),
    ("transaction_error", "", J, "refund transaction error"),
    ("transaction_success", "", F, "refunds/create with a successful transaction"),
    ("return_CANCELED", "", C, "return cancelled, no refund"),
    ("return_CLOSED", "", C, "return closed, no refund"),
]

SEED_MAPPINGS: list[tuple[str, str, str, str, str]] = [
    (platform, raw, refund_type, status, meaning)
    for platform, rows in (
        ("taobao", _TAOBAO), ("jd", _JD), ("pdd", _PDD), ("douyin", _DOUYIN), ("youzan", _YOUZAN),
        ("shopee", _SHOPEE), ("lazada", _LAZADA), ("shopify", _SHOPIFY),
    )
    for raw, refund_type, status, meaning in rows
]  # fmt: skip

SCHEDULES = [
    # name, task, schedule type, minutes
    ("poll refunds (every shop)", "refunds.tasks.poll_all_shops_refunds", "I", 10),
    ("refund review sweep (silent periods, escalation, resend)", "refunds.tasks.review_sweep", "I", 10),
]


def seed_mappings(apps, schema_editor=None) -> int:
    Mapping = apps.get_model("refunds", "RefundStatusMapping")
    Change = apps.get_model("refunds", "RefundStatusMappingChange")
    created = 0
    for platform, raw, refund_type, status, meaning in SEED_MAPPINGS:
        row, new = Mapping.objects.get_or_create(
            platform=platform,
            raw_status=raw,
            refund_type=refund_type,
            defaults={"status": status, "note": meaning},
        )
        if new:
            created += 1
            Change.objects.create(
                mapping=row, platform=platform, raw_status=raw, refund_type=refund_type, new_status=status
            )
    return created


def schedules_ensure(apps, schema_editor=None) -> int:
    Schedule = apps.get_model("django_q", "Schedule")
    for name, func, kind, minutes in SCHEDULES:
        Schedule.objects.update_or_create(
            name=name, defaults={"func": func, "schedule_type": kind, "minutes": minutes, "repeats": -1}
        )
    return len(SCHEDULES)


def policy_settings_ensure(apps, schema_editor=None) -> None:
    from refunds.models import DEFAULT_NO_REASON_PHRASES

    Settings = apps.get_model("refunds", "RefundPolicySettings")
    if not Settings.objects.exists():
        Settings.objects.create(no_reason_phrases=list(DEFAULT_NO_REASON_PHRASES))
