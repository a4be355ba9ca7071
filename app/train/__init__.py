"""The app's train room."""
