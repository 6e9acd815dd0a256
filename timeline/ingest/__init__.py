"""Reading: every supported format into the model (`readers/`), then placed, timed and checked
(`enrich`); `files` opens a table file or a story folder."""
