"""Browser tests: the real Streamlit server driven by chromium (see conftest.py)."""
