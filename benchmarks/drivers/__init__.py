"""Driver scripts: each runs one measurement in a fresh process and prints one JSON line."""
