"""Web layer: the app factory, HTML pages and static assets."""
