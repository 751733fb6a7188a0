"""What a run shows: summaries and pass@k, terminal tables and the self-contained HTML page."""
