"""The app's window room."""
