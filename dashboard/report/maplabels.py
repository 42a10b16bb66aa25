"""Names on the report's league map: each league labelled on the printed picture, offline.

The dashboard's maps name an area on hover; a printed map has to say which area is which. Plotly's text on a map
needs font glyphs from the internet, so the names are plain annotations placed here: the map's Web Mercator
projection (MapLibre: the world is 512·2^zoom px wide at zoom `zoom`) turns longitude/latitude into pixels of the
picture, and each label goes at the point deepest inside its league — or, where it does not fit (乌海市 is a few
pixels wide), beside it on a leader line, over as little of the other leagues as possible and never over another
label. Example: fit(features, 800, 416) → the view showing all 12 leagues; labels(...) → one annotation each.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

TILE_PX = 512
FONT_PX = 12
GAP_PX = 3  # between two labels
NUDGES_PX = (6, 12, 18)  # a label moved this little stays on its league, without a leader line
RADII_PX = (42, 60, 80, 104, 132)  # distances tried for a label off its league, on a leader line
DIRECTIONS = 16


@dataclass(frozen=True)
class View:
    """What the map shows: its centre, zoom and size in CSS pixels (the map area, without the colour bar)."""

    lon: float
    lat: float
    zoom: float
    width: float
    height: float

    def pixel(self, lon: float, lat: float) -> tuple[float, float]:
        """Longitude/latitude → pixels from the map's top left corner."""
        world = TILE_PX * 2 ** self.zoom
        x0, y0 = _mercator(self.lon, self.lat)
        x, y = _mercator(lon, lat)
        return self.width / 2 + (x - x0) * world, self.height / 2 + (y - y0) * world


def _mercator(lon: float, lat: float) -> tuple[float, float]:
    """Web Mercator in fractions of the world: (0, 0) is the top left corner, (1, 1) the bottom right."""
    return (lon + 180) / 360, (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2


def outer_ring(feature: dict) -> list[list[float]]:
    """The longest outer ring of a Polygon or MultiPolygon (an island's outline is not where the name goes)."""
    geometry = feature["geometry"]
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    return max((p[0] for p in polygons), key=len)


def fit(features: list[dict], width: float, height: float, margin: float = 0.06) -> View:
    """The view that shows every feature, with `margin` (a share of each side) left free around them."""
    points = [_mercator(lon, lat) for f in features for lon, lat in outer_ring(f)]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    span_x, span_y = max(xs) - min(xs), max(ys) - min(ys)
    zoom = math.log2(min(width * (1 - 2 * margin) / span_x, height * (1 - 2 * margin) / span_y) / TILE_PX)
    x, y = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    return View(x * 360 - 180, math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y)))), zoom, width, height)


def _inside(points: np.ndarray, ring: np.ndarray) -> np.ndarray:
    """Which points lie inside the ring (even-odd rule), for many points at once."""
    x, y = points[:, :1], points[:, 1:]
    ax, ay, bx, by = ring[:-1, 0], ring[:-1, 1], ring[1:, 0], ring[1:, 1]
    crosses = (ay > y) != (by > y)
    with np.errstate(divide="ignore", invalid="ignore"):
        at = ax + (y - ay) * (bx - ax) / (by - ay)
    return (crosses & (x < at)).sum(axis=1) % 2 == 1


def _depth(points: np.ndarray, ring: np.ndarray) -> np.ndarray:
    """Distance from each point to the ring's outline."""
    a, b = ring[:-1], ring[1:]
    ab = b - a
    t = np.clip(((points[:, None, :] - a) * ab).sum(-1) / np.maximum((ab * ab).sum(-1), 1e-12), 0, 1)
    nearest = a + t[..., None] * ab
    return np.sqrt(((points[:, None, :] - nearest) ** 2).sum(-1)).min(axis=1)


def deepest_point(ring: np.ndarray, steps: int = 16) -> tuple[tuple[float, float], float]:
    """The point inside the ring farthest from its outline, and that distance (a grid search, refined twice
    around the best point)."""
    lo, hi = ring.min(axis=0), ring.max(axis=0)
    best, depth, size = (lo + hi) / 2, 0.0, (hi - lo)
    for _ in range(3):
        grid = np.stack(np.meshgrid(np.linspace(-0.5, 0.5, steps), np.linspace(-0.5, 0.5, steps)), -1).reshape(-1, 2)
        points = best + grid * size
        inside = points[_inside(points, ring)]
        if not len(inside):
            break
        depths = _depth(inside, ring)
        best, depth = inside[np.argmax(depths)], float(depths.max())
        size = size / 4
    return (float(best[0]), float(best[1])), depth


def text_box(text: str) -> tuple[float, float]:
    """Width and height in pixels of an annotation's text (lines split at <br>; a Chinese character is 1 em,
    other characters about 0.6 em) with its padding."""
    lines = text.split("<br>")
    width = max(sum(1 if ord(ch) > 0x2E80 else 0.6 for ch in line) for line in lines) * FONT_PX
    return width + 6, len(lines) * FONT_PX * 1.25 + 4


@dataclass
class Label:
    code: str
    text: str
    ring: np.ndarray  # the league's outline in pixels
    anchor: tuple[float, float]  # the point deepest inside it …
    depth: float  # … and how deep
    size: tuple[float, float]
    centre: tuple[float, float] | None = None  # where the label's box is centred once placed …
    leader: bool = False  # … and whether a line leads from it to the league

    def box(self, centre: tuple[float, float]) -> tuple[float, float, float, float]:
        w, h = self.size
        return centre[0] - w / 2, centre[1] - h / 2, centre[0] + w / 2, centre[1] + h / 2

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        (x0, y0), (x1, y1) = self.ring.min(axis=0), self.ring.max(axis=0)
        return float(x0), float(y0), float(x1), float(y1)


def _overlap(a: tuple, b: tuple, gap: float = GAP_PX) -> bool:
    return a[0] < b[2] + gap and b[0] < a[2] + gap and a[1] < b[3] + gap and b[1] < a[3] + gap


def _samples(box: tuple[float, float, float, float]) -> np.ndarray:
    xs, ys = np.linspace(box[0], box[2], 5), np.linspace(box[1], box[3], 3)
    return np.stack(np.meshgrid(xs, ys), -1).reshape(-1, 2)


def _candidates(anchor: tuple[float, float]) -> list[tuple[float, tuple[float, float], bool]]:
    """(distance, centre, on a leader line) around the anchor: small nudges first, then farther spots."""
    out = [(0.0, anchor, False)]
    for r, leader in [(r, False) for r in NUDGES_PX] + [(r, True) for r in RADII_PX]:
        for k in range(DIRECTIONS):
            angle = 2 * math.pi * k / DIRECTIONS
            out.append((r, (anchor[0] + r * math.cos(angle), anchor[1] - r * math.sin(angle)), leader))
    return out


def _cover(box: tuple[float, float, float, float], leagues: list[Label]) -> float:
    """How much of the box lies over these leagues (1.0: as much as over one league entirely)."""
    samples = _samples(box)
    return sum(float(_inside(samples, lb.ring).mean()) for lb in leagues if _overlap(box, lb.bounds, gap=0))


def place(labels: list[Label], width: float, height: float) -> list[Label]:
    """Each label, deepest league first, at the first spot that overlaps no placed label, stays on the picture
    and lies on its own league (at most a few pixels off the deepest point, mostly inside it and hardly over a
    neighbour); else on a leader line at the spot over as little of the other leagues as possible."""
    placed: list[tuple] = []
    for label in sorted(labels, key=lambda lb: -lb.depth):
        others = [other for other in labels if other is not label]
        best, best_cost = (label.anchor, False), math.inf
        for distance, centre, leader in _candidates(label.anchor):
            box = label.box(centre)
            if box[0] < 0 or box[1] < 0 or box[2] > width or box[3] > height or \
                    any(_overlap(box, p) for p in placed):
                continue
            covered = _cover(box, others)
            if not leader:
                if covered <= 0.1 and _inside(_samples(box), label.ring).mean() >= 0.8:
                    best = (centre, False)
                    break
                continue
            cost = 50 + distance + 120 * covered
            if cost < best_cost:
                best, best_cost = (centre, True), cost
        label.centre, label.leader = best
        placed.append(label.box(label.centre))
    return labels


def labels(features: list[dict], texts: dict[str, str], view: View) -> list[Label]:
    """A placed label for every feature with a text (features keyed by properties.code)."""
    out = []
    for feature in features:
        code = feature["properties"]["code"]
        if code not in texts:
            continue
        ring = np.array([view.pixel(lon, lat) for lon, lat in outer_ring(feature)])
        anchor, depth = deepest_point(ring)
        out.append(Label(code, texts[code], ring, anchor, depth, text_box(texts[code])))
    return place(out, view.width, view.height)


def annotations(placed: list[Label], view: View, font_family: str) -> list[dict]:
    """Plotly annotations in paper coordinates (the map fills the plot area), each box centred where it was
    placed; a label off its league has a leader line to the league's deepest point."""
    out = []
    for label in placed:
        (ax, ay), (cx, cy) = label.anchor, label.centre
        x, y = (ax, ay) if label.leader else (cx, cy)
        out.append({"text": label.text, "xref": "paper", "yref": "paper", "x": x / view.width, "y": 1 - y / view.height,
                    "xanchor": "center", "yanchor": "middle", "showarrow": label.leader, "ax": cx - ax, "ay": cy - ay,
                    "arrowhead": 0, "arrowwidth": 0.8, "arrowcolor": "#333", "standoff": 0,
                    "font": {"size": FONT_PX, "color": "#111", "family": font_family},
                    "bgcolor": "rgba(255,255,255,0.78)", "borderpad": 1, "align": "center"})
    return out
