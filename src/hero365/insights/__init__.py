"""Insights: the conversation store, analytics, metrics and alerts."""
