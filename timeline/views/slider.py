"""Stops of the time-window slider when Streamlit's own datetime slider cannot hold the story.

Streamlit sends a datetime slider's values as microseconds since 1970 in a JavaScript number,
exact only to 2**53: about 1684 to 2255. A story in the year 602 or 3025 would stop the app,
so its window slides over a list of stops instead (a select slider), each a naive UTC datetime
like the datetime slider's values.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

#: The span Streamlit's datetime slider can hold, a day inside its exact limits.
DATETIME_SLIDER_RANGE = (
    pd.Timestamp("1684-07-30", tz="UTC"),
    pd.Timestamp("2255-06-03", tz="UTC"),
)
STOPS = 500


def fits_datetime_slider(bounds: tuple[pd.Timestamp, pd.Timestamp]) -> bool:
    return DATETIME_SLIDER_RANGE[0] <= bounds[0] and bounds[1] <= DATETIME_SLIDER_RANGE[1]


def window_stops(
    bounds: tuple[pd.Timestamp, pd.Timestamp],
    window: tuple[dt.datetime, dt.datetime],
    n: int = STOPS,
) -> list[dt.datetime]:
    """`n` + 1 evenly spaced naive UTC datetimes from the story's start to its end, plus the
    window's own ends (so the current window is always a value of the slider), sorted."""
    step = (bounds[1] - bounds[0]) / n
    grid = {(bounds[0] + step * i).tz_localize(None).floor("s").to_pydatetime() for i in range(n)}
    grid |= {bounds[1].tz_localize(None).to_pydatetime(), *window}
    return sorted(grid)


def stop_label(at: dt.datetime) -> str:
    """'18 Mar 602, 14:00': written out, since strftime pads or drops years before 1000."""
    return f"{at.day} {at:%b} {at.year}, {at:%H:%M}"
