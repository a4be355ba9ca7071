"""The app's irl room."""
