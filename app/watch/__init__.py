"""The app's watch room."""
