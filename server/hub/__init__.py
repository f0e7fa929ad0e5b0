"""The national hub's web side: its own app factory, sync API, analyst API and page."""
