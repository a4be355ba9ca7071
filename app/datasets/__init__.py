"""The app's datasets room."""
