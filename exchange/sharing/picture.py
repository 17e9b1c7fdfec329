"""Layouts for the pictures, computed here and drawn as SVG by the templates (no script, no
chart library, nothing fetched): the two-sided sharing network and monthly bar charts."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from exchange.sharing.services import Edge

MAX_LINKS_DRAWN = 40
ROW = 26
TOP = 30
WIDTH = 900
LEFT_X = 250
RIGHT_X = WIDTH - 250


@dataclass(frozen=True)
class Node:
    id: int
    name: str
    x: int
    y: int
    side: str  # "provider" or "organization"
    total: Decimal


@dataclass(frozen=True)
class Link:
    edge: Edge
    path: str
    width: float


@dataclass(frozen=True)
class NetworkPicture:
    providers: list[Node]
    organizations: list[Node]
    links: list[Link]
    height: int
    width: int
    drawn: int
    total: int
    weight: str


def _weight(edge: Edge, weight: str) -> Decimal:
    return Decimal(getattr(edge, weight) or 0)


def network_picture(
    edges: list[Edge], weight: str = "learners", total: int | None = None
) -> NetworkPicture:
    """Providers on the left, organizations on the right, and the links between them (given
    strongest first, as exchange.sharing.services ranks them) drawn with a width by
    `weight` (learners, active licenses, modules or credits); `total` is how many links
    there are in all (the picture may show fewer)."""
    ranked = edges[:MAX_LINKS_DRAWN]
    provider_totals: dict[tuple[int, str], Decimal] = {}
    organization_totals: dict[tuple[int, str], Decimal] = {}
    for edge in ranked:
        key = (edge.provider_id, edge.provider_name)
        provider_totals[key] = provider_totals.get(key, Decimal(0)) + _weight(edge, weight)
        key = (edge.organization_id, edge.organization_name)
        organization_totals[key] = organization_totals.get(key, Decimal(0)) + _weight(edge, weight)

    def column(totals, x, side):
        ordered = sorted(totals.items(), key=lambda item: (-item[1], item[0][1].casefold()))
        return [
            Node(id=i, name=name, x=x, y=TOP + index * ROW, side=side, total=total)
            for index, ((i, name), total) in enumerate(ordered)
        ]

    providers = column(provider_totals, LEFT_X, "provider")
    organizations = column(organization_totals, RIGHT_X, "organization")
    left = {n.id: n for n in providers}
    right = {n.id: n for n in organizations}
    heaviest = max((_weight(e, weight) for e in ranked), default=Decimal(0)) or Decimal(1)
    links = []
    for edge in ranked:
        a, b = left[edge.provider_id], right[edge.organization_id]
        middle = (a.x + b.x) // 2
        path = f"M{a.x},{a.y} C{middle},{a.y} {middle},{b.y} {b.x},{b.y}"
        width = 1.5 + 10 * float(_weight(edge, weight) / heaviest)
        links.append(Link(edge=edge, path=path, width=round(width, 1)))
    rows = max(len(providers), len(organizations), 1)
    return NetworkPicture(
        providers=providers,
        organizations=organizations,
        links=links,
        height=TOP + rows * ROW,
        width=WIDTH,
        drawn=len(ranked),
        total=len(edges) if total is None else total,
        weight=weight,
    )


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal
    x: float
    y: float
    height: float


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    width: int
    height: int
    bar_width: float
    maximum: Decimal


def bar_chart(series, width: int = 600, height: int = 160) -> BarChart:
    """Month series (exchange.sharing.dashboards.MonthValue) as bars with their geometry."""
    series = list(series)
    maximum = max((s.value for s in series), default=Decimal(0))
    plot = height - 45  # room for the value above the tallest bar and the labels below
    step = width / max(len(series), 1)
    bars = []
    for index, item in enumerate(series):
        bar_height = 0 if not maximum else float(item.value / maximum) * plot
        bars.append(
            Bar(
                label=item.label,
                value=item.value,
                x=round(index * step + step * 0.15, 1),
                y=round(plot - bar_height + 18, 1),
                height=round(bar_height, 1),
            )
        )
    return BarChart(
        bars=bars, width=width, height=height, bar_width=round(step * 0.7, 1), maximum=maximum
    )
