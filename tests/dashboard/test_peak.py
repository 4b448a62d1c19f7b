"""simulate_peak's parts: platform choice, figures, verdict and report (the run itself needs gunicorn,
qcluster and PostgreSQL; see docs/benchmarks.md)."""

import json

import pytest
from django.core.management import CommandError, call_command

from orderhub.dashboard import peak


def _figures(**overrides):
    figures = {
        "rate_per_s": 200.0,
        "seconds": 300.0,
        "platforms": ["shopify", "youzan"],
        "pushed": 60000,
        "accepted": 60000,
        "refused": {},
        "stored": 60000,
        "decided": 60000,
        "allocated": 59000,
        "held_or_other": 1000,
        "achieved_push_rate_per_s": 199.9,
        "ack_p50_ms": 4.0,
        "ack_p99_ms": 21.0,
        "paid_to_allocated_p50_s": 0.3,
        "paid_to_allocated_p95_s": 0.8,
        "max_backlog": 300,
        "backlog_at_end_of_pushing": 120,
        "drain_seconds_after_end": 4.2,
        "per_minute": [
            {
                "minute": 1,
                "pushed": 12000,
                "stored": 11900,
                "decided": 11800,
                "ack_p99_ms": 21.0,
                "paid_to_allocated_p95_s": 0.8,
            }
        ],
        "database": "postgresql",
        "broker": "redis",
        "cluster_processes": 2,
        "workers_per_cluster": 2,
    }
    return figures | overrides


def test_verdict_keeps_up_only_when_every_target_is_met():
    assert all(ok for _text, ok in peak.verdict(_figures()))
    for missed in (
        {"ack_p99_ms": 50.0},
        {"paid_to_allocated_p95_s": 1.2},
        {"paid_to_allocated_p95_s": None},
        {"drain_seconds_after_end": 61},
        {"drain_seconds_after_end": None},
        {"accepted": 59999},
        {"achieved_push_rate_per_s": 150.0},
    ):
        checks = peak.verdict(_figures(**missed))
        assert not all(ok for _text, ok in checks), missed


def test_report_prints_minutes_verdict_and_json_last():
    lines = peak.report_lines(_figures(ack_p99_ms=80.5))
    assert "  [MISSED] ack p99 80.5 ms < 50 ms" in lines
    assert lines[-2] == "verdict: does NOT keep up"
    assert json.loads(lines[-1])["ack_p99_ms"] == 80.5
    assert any(line.split() == ["1", "12000", "11900", "11800", "21.0", "0.8"] for line in lines)


def test_percentile_nearest_rank():
    assert peak.percentile([5, 1, 4, 2, 3], 50) == 3
    assert peak.percentile(list(range(1, 101)), 99) == 99
    assert peak.percentile([], 95) is None


def test_whole_order_platforms_need_no_fetch():
    chosen = peak.whole_order_platforms()
    assert "shopify" in chosen
    assert "jd" not in chosen  # JD does not push at all


@pytest.mark.django_db
def test_command_refuses_sqlite_and_bad_options():
    from django.db import connection

    if connection.vendor != "postgresql":
        with pytest.raises(CommandError, match="measures PostgreSQL"):
            call_command("simulate_peak", "--rate", "1", "--minutes", "0.1")
    with pytest.raises(CommandError, match="more than 0"):
        call_command("simulate_peak", "--rate", "0", "--allow-sqlite")


@pytest.mark.django_db
def test_command_needs_the_demo_shops():
    with pytest.raises(CommandError, match="seed_demo"):
        call_command("simulate_peak", "--rate", "1", "--minutes", "0.1", "--allow-sqlite")


@pytest.mark.django_db
def test_copy_ceiling_refuses_sqlite_and_bad_options():
    from django.db import connection

    if connection.vendor != "postgresql":
        with pytest.raises(CommandError, match="COPY is PostgreSQL's"):
            call_command("bench_copy_ceiling", "--orders", "10")
    else:
        with pytest.raises(CommandError, match="at least 1"):
            call_command("bench_copy_ceiling", "--orders", "0")


@pytest.mark.postgres
@pytest.mark.django_db
def test_copy_ceiling_copies_the_rows_and_reports_json(capsys):
    from orderhub.models import Order

    call_command("bench_copy_ceiling", "--orders", "40", "--repeat", "1")
    lines = capsys.readouterr().out.strip().splitlines()
    figures = json.loads(lines[-1])
    assert figures["orders"] == 40 and figures["lines"] >= 40
    assert figures["copy_orders_per_s"] > 0 and figures["database"] == "postgresql"
    assert not Order.objects.exists()  # temporary tables only: nothing left behind
