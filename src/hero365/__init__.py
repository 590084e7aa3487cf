"""Hero365 Voice: voice agents over a home-service business's ERP."""

__version__ = "0.1.0"
