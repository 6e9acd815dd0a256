"""Answering: the store (Parquet), the query contract and the engines that keep it."""
