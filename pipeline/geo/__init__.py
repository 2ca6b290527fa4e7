"""Geometry: where a frame's pixels lie on the ground.

Pure numpy, vectorised over pixels. The pieces, each in its own module:

- :mod:`pipeline.geo.camera`: intrinsics (``CameraModel``) from a frame's metadata;
- :mod:`pipeline.geo.sensors`: the sensor table, by EXIF Model and lens (``ImageSource``);
- :mod:`pipeline.geo.pose`: position and attitude (``CameraPose``), camera → ENU rotation;
- :mod:`pipeline.geo.ground`: the ground surface (``GroundModel`` protocol, ``FlatGround``);
- :mod:`pipeline.geo.laser`: each frame's ground, through its laser target where valid;
- :mod:`pipeline.geo.georef`: rays from pixels to the ground (``georeference``, ``Georef``);
- :mod:`pipeline.geo.coords`: WGS-84 / ECEF / local ENU, GCJ-02 and BD-09, longitude
  arithmetic across 180° and ``haversine_m``, the one ground distance;
- :mod:`pipeline.geo.polygon`: the one point-in-polygon test (antimeridian-safe).

Importing this package loads nothing but numpy (and only when a submodule is used).
"""
