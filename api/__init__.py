"""Safeguard Monitor's review server: `create_app(settings)` and the settings it reads."""
from api.app import create_app
from api.settings import Settings, SettingsError, load_settings

__all__ = ["Settings", "SettingsError", "create_app", "load_settings"]
