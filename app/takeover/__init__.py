"""The app's takeover room."""
