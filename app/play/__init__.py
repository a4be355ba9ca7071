"""The app's play room."""
