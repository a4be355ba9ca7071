"""The app's widgets room."""
