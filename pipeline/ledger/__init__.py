"""The 问题台账 (problem ledger): candidates from flights, reviewed, assigned, closed.

One module per concern; importing this package loads nothing (SQLAlchemy only
loads with :mod:`~pipeline.ledger.models` and the modules that use it):

- :mod:`pipeline.ledger.vocab`: 四乱 types, statuses and severity grades with their Chinese
  labels, and the legal status transitions;
- :mod:`pipeline.ledger.config`: :class:`LedgerConfig` (clustering gate, severity thresholds);
- :mod:`pipeline.ledger.zones`: management zones (河湖管理范围) from GeoJSON, point in polygon;
- :mod:`pipeline.ledger.cluster`: one candidate per real object (pure, no database);
- :mod:`pipeline.ledger.models`: the SQLAlchemy tables; :mod:`pipeline.ledger.db`: engines and
  Alembic migrations (``upgrade head`` creates a database);
- :mod:`pipeline.ledger.push`: :func:`push_flight`, idempotent and safe under concurrent pushes;
- :mod:`pipeline.ledger.workflow`: status transitions and edits with optimistic locking, audited;
- :mod:`pipeline.ledger.queries`: read side (:class:`IssueView`), :mod:`pipeline.ledger.export`:
  xlsx / csv / GeoJSON / KML.
"""
