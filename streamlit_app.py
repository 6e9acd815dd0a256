"""Placeholder until the app issue: the page title only."""

import streamlit as st

st.set_page_config(page_title="Timeline map", layout="wide")
st.title("Timeline map")
