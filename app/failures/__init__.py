"""The app's failures room."""
