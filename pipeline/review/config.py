"""Review app settings, loaded once by ``hehu review`` and passed to :func:`create_app`.

A YAML file of :class:`ReviewConfig` fields (``hehu review --config FILE``);
everything has a default that works offline on one machine:

- no basemap: maps draw the management zones (the run config's
  ``ledger.zones``, or ``zones_dir``), frame footprints and candidates on a
  plain background; offer basemaps with ``basemaps`` (a tile URL, or an
  office's offline XYZ folder or ``.mbtiles`` file, served by the app),
  ``tianditu_key``, ``osm`` or ``amap`` (see :mod:`.basemaps`), or set
  ``basemap_url`` to a tile server you run (``https://tiles.example/{z}/{x}/{y}.png``);
- cookies without the ``Secure`` flag (plain HTTP on a LAN); set
  ``secure_cookies`` when serving behind HTTPS;
- no reverse proxy trusted: the address the login limits count is the peer's,
  whatever ``X-Forwarded-For`` says; name yours in ``trusted_proxies``;
- login limits: 20 failures per address in 5 minutes (an office behind one NAT
  address shares that budget); after 5 failures an account's tries are slowed
  down (1 s apart, doubling up to 30 s), never locked (see :mod:`.login`).

Times are shown in the run config's ``display.timezone`` (Asia/Shanghai by default).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pipeline.errors import ConfigError

Lang = Literal["zh", "en"]
Datum = Literal["wgs84", "gcj02", "bd09"]


class Basemap(BaseModel):
    """One tile basemap: an XYZ URL template, or a local XYZ folder or ``.mbtiles`` file.

    ``datum`` says which coordinates the tiles are drawn in: ``wgs84`` (天地图,
    OSM, most offline sets), ``gcj02`` (高德/Amap, Tencent) or ``bd09`` (Baidu
    imagery re-cut to the XYZ grid by a tile downloader). On a shifted layer the
    map moves every overlay by the same offset, so it lands on the pictures.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=64, description="shown in the layer switcher")
    url: str | None = Field(default=None, description="XYZ template with {z} {x} {y} [{s}]")
    path: Path | None = Field(default=None, description="XYZ folder ({z}/{x}/{y}.png) or .mbtiles")
    datum: Datum = "wgs84"
    attribution: str = ""
    subdomains: str = "abc"
    max_native_zoom: int = Field(default=18, ge=0, le=24)

    @model_validator(mode="after")
    def _one_source(self) -> Basemap:
        if (self.url is None) == (self.path is None):
            raise ValueError(f"basemap {self.name!r}: give exactly one of url or path")
        if self.url is not None and not self.url.startswith(("https://", "http://")):
            raise ValueError(f"basemap {self.name!r}: url must be http(s), got {self.url!r}")
        if self.path is not None and not self.path.exists():
            raise ValueError(f"basemap {self.name!r}: no tiles at {self.path}")
        return self


class ReviewConfig(BaseModel):
    """How the review app runs. Times in seconds or hours as named, sizes in bytes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    db_url: str | None = Field(default=None, description="ledger URL; default: hehu's")
    state_dir: Path | None = Field(
        default=None, description="uploads and crop cache (default: review/ in the state folder)"
    )
    basemap_url: str | None = Field(default=None, description="XYZ tile URL template")
    basemap_attribution: str = ""
    basemaps: tuple[Basemap, ...] = Field(
        default=(), description="tile basemaps offered in the layer switcher (first: shown)"
    )
    tianditu_key: str | None = Field(
        default=None, description="天地图 browser key: offers its map and imagery (with labels)"
    )
    osm: bool = Field(default=False, description="offer OpenStreetMap (needs the internet)")
    amap: bool = Field(default=False, description="offer 高德 (Amap, GCJ-02; needs the internet)")
    zones_dir: Path | None = Field(
        default=None, description="zone GeoJSON drawn on maps; default: the run config's zones"
    )
    run_config: Path | None = Field(
        default=None,
        description="hehu run config whose ledger.zones and display.timezone the app uses "
        "(default configs/hehu.yaml)",
    )
    flights_root: Path | None = Field(
        default=None, description="folder whose sub-folders operators may process"
    )
    default_lang: Lang = "zh"
    session_hours: float = Field(default=12.0, gt=0)
    secure_cookies: bool = False
    login_window_s: int = Field(default=300, gt=0)
    login_max_failures_user: int = Field(default=5, gt=0)
    login_max_failures_ip: int = Field(default=20, gt=0)
    login_delay_base_s: float = Field(
        default=1.0, gt=0, description="first delay between tries on an account over its failures"
    )
    login_delay_max_s: float = Field(default=30.0, gt=0, description="longest such delay")
    trusted_proxies: tuple[str, ...] = Field(
        default=(),
        description="addresses or networks of the reverse proxies whose X-Forwarded-For "
        "is believed; none by default, so nobody can choose the address the limits count",
    )
    page_size: int = Field(default=50, gt=0, le=500)
    upload_max_bytes: int = Field(default=30 * 1024 * 1024, gt=0, description="after-photo")
    field_max_distance_m: float = Field(
        default=50.0,
        gt=0,
        description="a field photo farther than this from the issue is not verified",
    )
    form_max_bytes: int = Field(
        default=128 * 1024, gt=0, description="request body of any route that takes no upload"
    )
    crop_context: float = Field(
        default=1.0, ge=0, description="context around a box, as a fraction of its size"
    )
    crop_min_px: int = Field(default=320, gt=0, description="smallest crop side in pixels")
    viewer_max_side: int = Field(
        default=4096, ge=512, le=16384,
        description="longest side of the frame the full-frame viewer pans and zooms on",
    )  # fmt: skip
    undo_window_s: int = Field(
        default=30, ge=1, le=600, description="how long a keyboard decision can be undone"
    )
    bulk_max: int = Field(
        default=500, ge=1, le=10_000, description="most issues one bulk decision may touch"
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        import ipaddress

        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError as e:
                raise ValueError(
                    f"trusted_proxies: {item!r} is not an IP address or network (e.g. 10.0.0.5 "
                    "or 10.0.0.0/24)"
                ) from e
        return value

    def resolved_state_dir(self) -> Path:
        if self.state_dir is not None:
            return self.state_dir
        from pipeline.state import state_dir

        return state_dir() / "review"


def load_review_config(path: Path | str | None, **overrides: object) -> ReviewConfig:
    """Read a YAML file of :class:`ReviewConfig` fields (``None``: defaults), then apply overrides.

    Overrides whose value is ``None`` are ignored (unset command-line options).
    """
    data: dict[str, object] = {}
    if path is not None:
        import yaml

        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as e:
            raise ConfigError(f"{path}: cannot read the review config ({e})") from e
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: expected a mapping of ReviewConfig fields")
    data |= {k: v for k, v in overrides.items() if v is not None}
    from pydantic import ValidationError

    try:
        return ReviewConfig.model_validate(data)
    except ValidationError as e:
        raise ConfigError.invalid(path or "options", e, hint="see pipeline/review/config.py") from e
