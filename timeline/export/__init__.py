"""Writing: our CSV, JSON and GeoJSON, TimelineJS, and the published page."""
