"""Review: the web app where reviewers turn machine candidates into ledger decisions.

Reviewer time is the scarce resource (most remote-sensing candidates are
false), so the pages are built for throughput: a dense, filterable queue with
keyboard shortcuts, a candidate page with evidence crops, a map and the audit
history, and every edit checked against the version the page showed.

The pieces, each in its own module:

- :mod:`.config`: ``ReviewConfig``, loaded once by ``hehu review``;
- :mod:`.models` and :mod:`.store`: accounts, web sessions, login attempts,
  attachments and per-issue confidence (Alembic revision ``0002``); engines
  for reads and writes;
- :mod:`.security`, :mod:`.passwords`, :mod:`.accounts`, :mod:`.login`,
  :mod:`.sessions`: argon2 hashing and tokens, password rules, users, rate-limited
  login, server-side sessions with CSRF tokens;
- :mod:`.limits` and :mod:`.inputs`: request bodies counted on the stream (413),
  ids from outside bounded before any query;
- :mod:`.queue` and :mod:`.detail`: the paginated, filtered queue; one issue
  with its sightings, history, attachments and map features;
- :mod:`.actions`: confirm, reject, retype, assign, rectify, close (ledger workflow);
- :mod:`.crops` and :mod:`.uploads`: evidence crops cut on the fly from
  untouched originals; uploaded photos stored by sha256;
- :mod:`.feedback`: reviewed detections as a YOLO dataset for ``hehu train``;
- :mod:`.app`, :mod:`.deps`, :mod:`.render`, :mod:`.i18n`, :mod:`.routes`:
  the FastAPI app (one router per area, ``require("review")`` dependencies),
  server-rendered Chinese/English pages;
- :mod:`.server`: uvicorn, one process or several.

See ``README.md`` beside this file for roles, keyboard, security and settings.

Importing this package loads nothing: FastAPI, argon2 and OpenCV are imported
by the modules that use them.
"""
