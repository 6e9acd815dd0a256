"""The app's state: one view value, its transitions, and its form in the URL. No Streamlit."""
