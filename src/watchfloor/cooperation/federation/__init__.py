"""Federation: signed feeds of shared records between Watchfloor instances."""
