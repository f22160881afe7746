"""Figures pages: a commune's dashboard, the records behind a figure, a province's ranking, and exports."""

from __future__ import annotations

import math
from functools import partial

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from core import labels
from core.auth import policy
from core.db import session
from core.errors import ChosoError
from core.i18n import money
from core.metrics import charts, exports, services
from core.metrics.records import WITH_RECORDS, records
from core.models import Commune, Province

bp = Blueprint("metrics", __name__)
LEVELS = {services.MET: _l("target met"), services.NEAR: _l("close to target"), services.BELOW: _l("below target"),
          services.NO_TARGET: _l("no target"), services.NO_DATA: _l("no data yet")}


def show(value: float | None, unit: str) -> str:
    if value is None:
        return _("no data yet")
    if unit == "share":
        return format_percent(value, "#,##0.#%")
    if unit == "vnd":
        return money(int(value))
    return format_decimal(int(value))  # 1.234 in Vietnamese, 1,234 in English


def _commune(code: str) -> Commune:
    commune = session().get(Commune, code)
    if commune is None or not policy.can_view_figures(current_user, code, commune.province_code):
        abort(404)
    return commune


def _records_commune(code: str) -> Commune:
    commune = _commune(code)
    if not policy.can_view_records(current_user, code):
        abort(404)
    return commune


def _month() -> str:
    try:
        return services.parse_month(request.args.get("month"))
    except ChosoError:
        abort(400)


def _rows(figures: dict, metrics) -> list[list[object]]:
    return [[str(m.label), show(figures[m.id].value, m.unit), figures[m.id].numerator, figures[m.id].denominator,
             show(figures[m.id].target, m.unit) if figures[m.id].target is not None else "",
             str(LEVELS[figures[m.id].level])] for m in metrics]


@bp.get("/staff/<code>/metrics")
@login_required
def dashboard(code: str):
    commune = _commune(code)
    month = _month()
    db = session()
    metrics = services.indicators()
    figures = services.figures(db, [code], month)[code]
    trend = services.trend(db, code, month, figures)
    cards = []
    for m in metrics:
        fig = figures[m.id]
        fmt = partial(show, unit=m.unit)
        cards.append({"metric": m, "figure": fig, "shown": show(fig.value, m.unit), "level": LEVELS[fig.level],
                      "target": show(fig.target, m.unit) if fig.target is not None else None,
                      "trend": charts.trend(trend[m.id], _("%(label)s, last 12 months", label=m.label), fmt),
                      "bars": charts.bars(fig.breakdown, _("%(label)s by part", label=m.label), fmt,
                                          labels.figure_part),
                      "has_records": m.id in WITH_RECORDS and policy.can_view_records(current_user, code)})
    return render_template("metrics/dashboard.html", commune=commune, month=month, cards=cards,
                           months=services.previous_months(services.current_month(), 13)[::-1],
                           may_set=policy.is_commune_staff(current_user, code))


@bp.route("/staff/<code>/metrics/targets", methods=["GET", "POST"])
@login_required
def targets(code: str):
    """Targets on a page of their own: the figures page stays for reading, on a phone too."""
    commune = _commune(code)
    if not policy.is_commune_staff(current_user, code):
        abort(403)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        metric = services.indicator(request.form.get("indicator", ""))
        if metric is None:
            abort(404)
        try:
            scale = 100 if metric.unit == "share" else 1  # staff type shares as percentages
            target, near = (_number(request.form.get(name, "")) for name in ("target", "near"))
            if target is None:
                raise ValueError
            services.set_target(session(), current_user, code, metric, target / scale,
                                near / scale if near is not None else None)
            flash(_("Target saved: %(label)s.", label=metric.label), "info")
            return redirect(url_for("metrics.targets", code=code))
        except ValueError:
            errors[metric.id] = [_("A target is a number, such as 80 or 12,5.")]
        except ChosoError as exc:
            errors[metric.id] = [str(exc.message)]
    goals = services.targets(session(), [code])[code]
    rows = [{"metric": m, "target": goals[m.id][0], "near": goals[m.id][1],
             "scale": 100 if m.unit == "share" else 1} for m in services.indicators()
            if m.unit != "count" or m.target is not None or goals[m.id][0] is not None]
    return render_template("metrics/targets.html", commune=commune, rows=rows, errors=errors,
                           form=request.form), 422 if errors else 200


def _number(text: str) -> float | None:
    """ "80", "80 %", "12,5" or "12.5" -> a number; "" -> None; anything else ("nan" and "inf" too) raises
    ValueError."""
    cleaned = text.replace("%", "").replace(",", ".").strip()
    if not cleaned:
        return None
    number = float(cleaned)
    if not math.isfinite(number):
        raise ValueError(cleaned)
    return number


@bp.get("/staff/<code>/metrics/<indicator_id>/records")
@login_required
def indicator_records(code: str, indicator_id: str):
    commune = _records_commune(code)
    month = _month()
    metric = services.indicator(indicator_id)
    table = records(session(), indicator_id, code, *services.bounds(month)) if metric else None
    if table is None:
        abort(404)
    return render_template("metrics/records.html", commune=commune, month=month, metric=metric, table=table)


@bp.get("/staff/<code>/metrics/<indicator_id>/records.<fmt>")
@login_required
def records_export(code: str, indicator_id: str, fmt: str):
    _records_commune(code)
    month = _month()
    table = records(session(), indicator_id, code, *services.bounds(month)) if services.indicator(indicator_id) \
        else None
    if table is None or fmt not in ("csv", "xlsx"):
        abort(404)
    header, rows = table
    rows = [[v.isoformat() if hasattr(v, "isoformat") else v for v in row] for row in rows]
    name = f"{indicator_id}-{code}-{month}.{fmt}"
    data = exports.to_csv((header, rows)) if fmt == "csv" else exports.to_xlsx((header, rows), month)
    return exports.download(data, fmt, name)


def _header() -> list[str]:
    return [_("Indicator"), _("Value"), _("Numerator"), _("Denominator"), _("Target"), _("Level")]


@bp.get("/staff/<code>/metrics.<fmt>")
@login_required
def export(code: str, fmt: str):
    commune = _commune(code)
    month = _month()
    if fmt not in exports.MIMETYPES:
        abort(404)
    metrics = services.indicators()
    table = (_header(), _rows(services.figures(session(), [code], month)[code], metrics))
    name = f"chi-so-{code}-{month}.{fmt}"
    if fmt == "csv":
        return exports.download(exports.to_csv(table), fmt, name)
    if fmt == "xlsx":
        return exports.download(exports.to_xlsx(table, month), fmt, name)
    title = _("Digital economy report, %(month)s", month=month)
    short = (table[0][:2] + table[0][4:], [row[:2] + row[4:] for row in table[1]])
    note = _("Shares are of the month's active records; see the dashboard for definitions.")
    return exports.download(exports.to_pdf(title, f"{commune.name}, {commune.province.name}", short, note), fmt, name)


def _province(code: str) -> Province:
    province = session().get(Province, code)
    if province is None or not policy.can_view_province(current_user, code):
        abort(404)
    return province


def _ranking(code: str, month: str, sort: str):
    db = session()
    codes = services.communes_with_households(db, code)
    figures = services.figures(db, codes, month)
    names = {c.code: c.name for c in db.query(Commune).filter(Commune.code.in_(codes))}
    metrics = services.indicators()
    chosen = next((m for m in metrics if m.id == sort), metrics[1])
    order = sorted(codes, key=lambda c: (figures[c][chosen.id].value is None, -(figures[c][chosen.id].value or 0)))
    return metrics, chosen, [(c, names.get(c, c), figures[c]) for c in order]


@bp.get("/province/<code>/metrics")
@login_required
def province(code: str):
    province = _province(code)
    month = _month()
    metrics, chosen, ranked = _ranking(code, month, request.args.get("sort", "ecommerce_household_share"))
    return render_template("metrics/province.html", province=province, month=month, metrics=metrics,
                           chosen=chosen, ranked=ranked, show=show, levels=LEVELS)


@bp.get("/province/<code>/metrics.<fmt>")
@login_required
def province_export(code: str, fmt: str):
    _province(code)
    month = _month()
    if fmt not in ("csv", "xlsx"):
        abort(404)
    metrics, _chosen, ranked = _ranking(code, month, request.args.get("sort", "ecommerce_household_share"))
    header = [_("Commune code"), _("Commune")] + [str(m.label) for m in metrics]
    rows = [[c, name] + [figs[m.id].value for m in metrics] for c, name, figs in ranked]
    name = f"chi-so-tinh-{code}-{month}.{fmt}"
    data = exports.to_csv((header, rows)) if fmt == "csv" else exports.to_xlsx((header, rows), month)
    return exports.download(data, fmt, name)
