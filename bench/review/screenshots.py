"""Screenshots of the review app on the sample-flight ledger (for people, not for CI).

    .venv/bin/python bench/review/screenshots.py OUT_DIR [--lang zh|en]

Builds a fresh ledger from the embedded sample flight (see
tests/review/review_helpers.py), serves the app on loopback, and saves PNGs
of the login page, the queue, a candidate page, a conflict, the map and the
users page with Debian's chromium.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "review"))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--lang", default="zh", choices=("zh", "en"))
    args = parser.parse_args()
    from live import chromium, log_in, serve
    from review_helpers import ZONES_DIR, add_users, build_sample_ledger, password_of

    from pipeline.review.app import create_app
    from pipeline.review.config import ReviewConfig
    from pipeline.review.security import make_hasher
    from pipeline.review.store import open_db

    args.out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="hehu-shots-"))
    url = f"sqlite:///{tmp / 'ledger.sqlite'}"
    source = build_sample_ledger(url, tmp / "hehu-home")
    hasher = make_hasher("test")
    add_users(url, hasher)
    config = ReviewConfig(state_dir=tmp / "state", zones_dir=ZONES_DIR, default_lang=args.lang)
    app = create_app(config, open_db(url), hasher=hasher)
    shots = args.out
    with serve(app) as base, chromium() as browser:
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.goto(f"{base}/login")
        page.screenshot(path=str(shots / "login.png"))
        log_in(page, base, "rev", password_of("rev"))
        page.wait_for_load_state("networkidle")
        page.keyboard.press("c")
        page.wait_for_timeout(300)
        page.keyboard.press("x")
        page.wait_for_timeout(200)
        page.screenshot(path=str(shots / "queue.png"))
        page.keyboard.press("Escape")
        code = page.locator("table.queue tbody tr").nth(2).get_attribute("data-code")
        page.goto(f"{base}/issues/{code}")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(shots / "issue.png"), full_page=True)
        other = browser.new_page(viewport={"width": 1440, "height": 900})
        log_in(other, base, "rev2", password_of("rev2"))
        other.goto(f"{base}/issues/{code}")
        other.click("#do-confirm")
        other.wait_for_load_state("networkidle")
        page.locator("#form-reject input[name=reason]").nth(0).check()
        page.click("#do-reject")
        page.wait_for_selector("#conflict")
        page.screenshot(path=str(shots / "conflict.png"), full_page=True)
        page.goto(f"{base}/map")
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(300)
        page.screenshot(path=str(shots / "map.png"))
        admin = browser.new_page(viewport={"width": 1440, "height": 900})
        log_in(admin, base, "admin", password_of("admin"))
        admin.goto(f"{base}/users")
        admin.screenshot(path=str(shots / "users.png"))
    print(f"screenshots of the {source} ledger in {shots}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
