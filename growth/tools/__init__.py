"""One-off maintenance scripts for the growth package (not used at run time)."""
