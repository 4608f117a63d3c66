"""The deployment spec model and its loading from profiles."""
