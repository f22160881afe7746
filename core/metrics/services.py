"""Figures for a commune or a province and a month: live for the current month, from snapshots before it."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import containment
from core.db import VIETNAM, upsert, utcnow
from core.errors import Invalid
from core.events import plugins
from core.jobs.queue import enqueue, handler
from core.metrics.facts import count_facts
from core.metrics.indicators import BUILT_IN
from core.metrics.models import MetricSnapshot, MetricTarget
from core.models import Commune, HouseholdBusiness
from core.services import audit
from plugins.metric import Metric, Share

log = logging.getLogger("choso.metrics")
MET, NEAR, BELOW, NO_TARGET, NO_DATA = "met", "near", "below", "no_target", "no_data"
# Years choso can hold figures for (a year 0 would not even make a date).
_MONTH = re.compile(r"^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])$")


@dataclass
class Figure:
    id: str
    value: float | None  # None: not applicable (a share with no denominator) or not available
    numerator: int | None = None
    denominator: int | None = None
    breakdown: dict[str, int] = field(default_factory=dict)
    target: float | None = None
    level: str = NO_TARGET


def indicators() -> list[Metric]:
    """Built-in indicators first, then the plugins', in the order they registered (one that cannot even be
    made is left out, and recorded against its plugin)."""
    found: list[Metric] = [cls() for cls in BUILT_IN]
    manager = plugins()
    for metric_id, cls in manager.metrics.items():
        try:
            found.append(containment.call(_owner(metric_id), f"metric {metric_id}: start up", cls))
        except containment.PluginFailed:
            continue
    return found


def _owner(metric_id: str) -> str:
    return plugins().owners.get(("metric", metric_id), metric_id)


_BUILT_IN_IDS = frozenset(cls.id for cls in BUILT_IN)


def _checked(answer: Any) -> Any:
    number = isinstance(answer, int | float) and not isinstance(answer, bool)
    if answer is None or number or isinstance(answer, Share):
        return answer
    raise containment.BadAnswer(f"compute returned {type(answer).__name__} {answer!r:.60}, not a number or Share")


def indicator(indicator_id: str) -> Metric | None:
    return next((m for m in indicators() if m.id == indicator_id), None)


def current_month() -> str:
    return utcnow().astimezone(VIETNAM).strftime("%Y-%m")


def parse_month(text: str | None) -> str:
    text = (text or current_month()).strip()
    if not _MONTH.match(text):
        msg = _("A month is written YYYY-MM, e.g. 2026-10.")
        raise Invalid(msg, {"month": [msg]})
    return text


def bounds(month: str) -> tuple[datetime, datetime]:
    """The month in Vietnam time, as UTC instants [start, end)."""
    year, mon = int(month[:4]), int(month[5:])
    start = datetime(year, mon, 1, tzinfo=VIETNAM)
    end = datetime(year + (mon == 12), 1 if mon == 12 else mon + 1, 1, tzinfo=VIETNAM)
    return start.astimezone(UTC), end.astimezone(UTC)


def previous_months(month: str, count: int) -> list[str]:
    year, mon = int(month[:4]), int(month[5:])
    out = []
    for _i in range(count):
        out.append(f"{year:04d}-{mon:02d}")
        year, mon = (year - 1, 12) if mon == 1 else (year, mon - 1)
    return list(reversed(out))


def _figure(metric: Metric, facts: dict[str, int]) -> Figure:
    try:
        if metric.id in _BUILT_IN_IDS:
            result = metric.compute(facts)
        else:  # a plugin's indicator: contained, bounded, its answer checked, its failure recorded
            result = containment.call(_owner(metric.id), f"metric {metric.id}: compute", metric.compute,
                                      dict(facts), deadline=2.0, check=_checked)
    except Exception:  # an indicator that breaks shows as not available; the dashboard goes on
        log.warning("indicator %s failed", metric.id, exc_info=True)
        return Figure(metric.id, None)
    breakdown = {k[len(metric.breakdown):]: v for k, v in facts.items()
                 if metric.breakdown and k.startswith(metric.breakdown)}
    if isinstance(result, Share):
        return Figure(metric.id, result.value, result.numerator, result.denominator, breakdown)
    return Figure(metric.id, None if result is None else result, breakdown=breakdown)


def level(value: float | None, target: float | None, near: float | None) -> str:
    if value is None:  # nothing to count yet (no bills, no households): not a shortfall
        return NO_DATA
    if target is None:
        return NO_TARGET
    if value >= target:
        return MET
    return NEAR if near is not None and value >= near else BELOW


def targets(db: Session, codes: list[str]) -> dict[str, dict[str, tuple[float | None, float | None]]]:
    """Per commune and indicator (target, near): what staff set, else the indicator's default. One query."""
    chosen: dict[str, dict[str, tuple[float, float | None]]] = {}
    for t in db.scalars(select(MetricTarget).where(MetricTarget.commune_code.in_(codes))):
        chosen.setdefault(t.commune_code, {})[t.indicator] = (t.target, t.near)
    defaults = {m.id: (m.target, m.near) for m in indicators()}
    return {code: {**defaults, **chosen.get(code, {})} for code in codes}


def _with_targets(figures: dict[str, Figure], goals: dict[str, tuple[float | None, float | None]]) -> dict:
    for indicator_id, (target, near) in goals.items():
        if indicator_id in figures:
            figures[indicator_id].target = target
            figures[indicator_id].level = level(figures[indicator_id].value, target, near)
    return figures


def live(db: Session, codes: list[str], month: str) -> dict[str, dict[str, Figure]]:
    start, end = bounds(month)
    facts = count_facts(db, codes, start, min(end, utcnow()) if month == current_month() else end)
    metrics = indicators()
    return {code: {m.id: _figure(m, facts[code]) for m in metrics} for code in codes}


def _from_snapshots(db: Session, codes: list[str], month: str) -> dict[str, dict[str, Figure]]:
    out: dict[str, dict[str, Figure]] = {}
    for row in db.scalars(select(MetricSnapshot).where(MetricSnapshot.commune_code.in_(codes),
                                                       MetricSnapshot.month == month)):
        out.setdefault(row.commune_code, {})[row.indicator] = Figure(
            row.indicator, row.value, row.numerator, row.denominator, dict(row.breakdown or {}))
    return out


def figures(db: Session, codes: list[str], month: str) -> dict[str, dict[str, Figure]]:
    """Every indicator of each commune: a past month as reported (its snapshot), else counted now."""
    stored = _from_snapshots(db, codes, month) if month < current_month() else {}
    missing = [code for code in codes if code not in stored]
    result = {**stored, **(live(db, missing, month) if missing else {})}
    goals = targets(db, codes)
    return {code: _with_targets(result[code], goals[code]) for code in codes}


def trend(db: Session, code: str, month: str, now: dict[str, Figure],
          months: int = 12) -> dict[str, list[tuple[str, float | None]]]:
    """Each indicator over the last `months` months: snapshots before `month`, and `now`, the month's own
    figures the caller already has (counting them again would double the dashboard's cost)."""
    span = previous_months(month, months)
    rows = db.scalars(select(MetricSnapshot).where(MetricSnapshot.commune_code == code,
                                                   MetricSnapshot.month.in_(span)))
    stored = {(r.indicator, r.month): r.value for r in rows}
    return {m.id: [(mon, now[m.id].value if mon == month else stored.get((m.id, mon))) for mon in span]
            for m in indicators()}


def communes_with_households(db: Session, province_code: str | None = None) -> list[str]:
    stmt = select(HouseholdBusiness.commune_code).distinct()
    if province_code:
        stmt = stmt.join(Commune, Commune.code == HouseholdBusiness.commune_code).where(
            Commune.province_code == province_code)
    return sorted(db.scalars(stmt))


def snapshot(db: Session, month: str, codes: list[str] | None = None, *, replace: bool = False,
             progress=lambda done, total: None) -> int:
    """Store the month's figures; communes already stored are kept as reported unless `replace`.
    Idempotent: running it twice stores nothing new. Returns the rows written."""
    codes = codes if codes is not None else communes_with_households(db)
    written = 0
    for start in range(0, len(codes), 50):
        chunk = codes[start:start + 50]
        if not replace:
            have = set(db.scalars(select(MetricSnapshot.commune_code).distinct().where(
                MetricSnapshot.commune_code.in_(chunk), MetricSnapshot.month == month)))
            chunk = [c for c in chunk if c not in have]
        rows: list[dict[str, Any]] = []
        for code, by_id in (live(db, chunk, month) if chunk else {}).items():
            rows += [{"commune_code": code, "month": month, "indicator": f.id, "value": f.value,
                      "numerator": f.numerator, "denominator": f.denominator, "breakdown": f.breakdown,
                      "computed_at": utcnow()} for f in by_id.values()]
        if rows:
            stmt = upsert(db, MetricSnapshot).values(rows)
            stmt = stmt.on_conflict_do_update(
                index_elements=["commune_code", "month", "indicator"],
                set_={k: getattr(stmt.excluded, k) for k in ("value", "numerator", "denominator", "breakdown",
                                                              "computed_at")}) if replace else \
                stmt.on_conflict_do_nothing(index_elements=["commune_code", "month", "indicator"])
            db.execute(stmt)
            written += len(rows)
        db.commit()
        progress(min(start + 50, len(codes)), len(codes))
    return written


def set_target(db: Session, actor, code: str, metric: Metric, target: float, near: float | None) -> MetricTarget:
    if metric.unit == "share" and (target > 1 or (near or 0) > 1):
        msg = _("A share is between 0 and 1 (0.5 is half).")
        raise Invalid(msg, {"target": [msg]})
    if near is not None and near > target:
        msg = _("The 'near' level is below the target.")
        raise Invalid(msg, {"near": [msg]})
    row = db.scalar(select(MetricTarget).where(MetricTarget.commune_code == code,
                                               MetricTarget.indicator == metric.id))
    row = row or MetricTarget(commune_code=code, indicator=metric.id)
    row.target, row.near, row.set_by_id = target, near, actor.id
    db.add(row)
    audit.record(db, actor, "metrics.target", "indicator", metric.id, commune_code=code,
                 details={"target": target, "near": near})
    db.commit()
    return row


SNAPSHOT_JOB = "metrics.snapshot"


def schedule_next(db: Session) -> None:
    """Queue the snapshot of the current month for 00:10 on the 1st of the next (Vietnam time); once per month."""
    month = current_month()
    _start, end = bounds(month)
    enqueue(db, SNAPSHOT_JOB, {"month": month}, key=f"metrics-snapshot:{month}", run_at=end + timedelta(minutes=10))
    db.commit()


@handler(SNAPSHOT_JOB)
def _snapshot_job(db: Session, payload: dict[str, Any]) -> None:
    snapshot(db, payload["month"])
    schedule_next(db)
