"""Video patrols: a DJI MP4 with its SRT log, as geotagged frames for the stills' stages.

:mod:`.srt` reads the log (fields by name, across firmwares), :mod:`.track` interpolates
position and attitude at a time, :mod:`.frames` samples the video by ground distance and
writes each sampled frame as a still with its video and time code. Importing this
package loads only the standard library.
"""
